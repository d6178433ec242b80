"""Invoice PDFs in the AP platform's S3 bucket (read-only for this service).

Key layout: `<org_id>/<legal_entity_id>/<file name>` in the invoice bucket
(config `INVOICE_BUCKET`, template parameter `InvoiceBucketName`). One worker role
serves every organization, so IAM can only require that shape (`*/*/*`), not the
organization of the bill being processed: this adapter refuses, before any S3 call,
a bucket other than the invoice bucket or a key outside the bill's own prefix.
Whatever the cause (outside the prefix, missing, forbidden), the reason is the same
neutral sentence, so it never tells whether an object exists elsewhere.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from qbo_connector.adapters import aws
from qbo_connector.config import get_settings
from qbo_connector.models.bill import pdf_location_allowed, pdf_unreadable_reason
from qbo_connector.models.faults import (
    DocumentUnavailable,
)

# QBO accepts up to 100 MB per upload; refuse before downloading something bigger.
MAX_BYTES = 100 * 1024 * 1024
_UNREADABLE = {"404", "NoSuchKey", "NoSuchBucket", "NotFound", "403", "AccessDenied"}


class InvoiceDocuments:
    def __init__(self, invoice_bucket: str | None = None) -> None:
        self.invoice_bucket = (
            invoice_bucket if invoice_bucket is not None else get_settings().invoice_bucket
        )

    def fetch(self, org_id: str, legal_entity_id: str, bucket: str, key: str) -> bytes:
        """The PDF of a bill of this organization's legal entity, or DocumentUnavailable."""
        if not pdf_location_allowed(bucket, key, org_id, legal_entity_id, self.invoice_bucket):
            raise DocumentUnavailable(pdf_unreadable_reason(org_id, legal_entity_id))
        s3 = aws.client("s3")
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
            size = int(head.get("ContentLength", 0))
            if size > MAX_BYTES:
                raise DocumentUnavailable(
                    f"The invoice PDF is {size} bytes; QuickBooks accepts at most "
                    f"{MAX_BYTES} bytes per attachment."
                )
            body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            return body
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _UNREADABLE:
                raise DocumentUnavailable(pdf_unreadable_reason(org_id, legal_entity_id)) from None
            raise
