"""One Logger, Tracer and Metrics per process, shared by handlers and logic.

Names come from POWERTOOLS_* variables (template Globals); the defaults keep
local runs, where modules may be imported before a function's environment is
applied, under the same service name.
"""

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "qbo-connector")

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(
    service=SERVICE, namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "QboConnector")
)
