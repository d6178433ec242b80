"""Invoice PDFs in the AP platform's S3 bucket (read-only for this service)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from qbo_connector.adapters import aws

# QBO accepts up to 100 MB per upload; refuse before downloading something bigger.
MAX_BYTES = 100 * 1024 * 1024


class DocumentUnavailable(Exception):
    """The PDF cannot be read: missing, forbidden or too large (reason in words)."""


class InvoiceDocuments:
    def fetch(self, bucket: str, key: str) -> bytes:
        s3 = aws.client("s3")
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
            size = int(head.get("ContentLength", 0))
            if size > MAX_BYTES:
                raise DocumentUnavailable(
                    f"s3://{bucket}/{key} is {size} bytes; QuickBooks accepts at most "
                    f"{MAX_BYTES} bytes per attachment."
                )
            body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            return body
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}:
                raise DocumentUnavailable(
                    f"The invoice PDF s3://{bucket}/{key} does not exist; upload it again."
                ) from None
            if code in {"403", "AccessDenied"}:
                raise DocumentUnavailable(
                    f"This service may not read s3://{bucket}/{key}; grant it s3:GetObject."
                ) from None
            raise
