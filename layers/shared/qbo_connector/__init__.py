"""qbo-connector shared package: one code base used by every Lambda function.

Layers, outermost first: handlers (functions/) -> logic -> adapters -> models.
Domain code (logic, models) never imports boto3; adapters wrap one service each.
"""
