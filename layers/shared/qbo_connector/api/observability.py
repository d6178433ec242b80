"""One Logger, Tracer and Metrics per process, shared by handlers and logic.

The service name and namespace come from POWERTOOLS_* variables (template Globals).
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
