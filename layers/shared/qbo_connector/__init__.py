"""qbo-connector shared package: one code base used by every Lambda function.

Layers, ground floor first (README: Architecture; `make layers` checks them): models <-
logic (with its ports) <- adapters (one per service) <- wiring (the composition root)
<- api (HTTP routes) and invocations (ops, console and queue entry points); the
handlers in functions/ call those two. Logic and models never import boto3 or an adapter.
"""
