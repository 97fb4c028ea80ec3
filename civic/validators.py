"""Uploads: a size ceiling and an allow-list of types, checked by content as well as by name."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Extension -> the first bytes a real file of that type starts with (None: plain text).
ALLOWED_UPLOADS: dict[str, tuple[bytes, ...] | None] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".ods": (b"PK\x03\x04",),
    ".csv": None,
    ".txt": None,
}


def validate_upload(uploaded, *, allowed: tuple[str, ...] | None = None) -> None:
    """Refuse a file that is too large, of a type not allowed, or not what its name says."""
    limit = settings.CIVIC_UPLOAD_MAX_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            _("The file must be smaller than %(limit)s") % {"limit": filesizeformat(limit)},
            code="file_too_large",
        )
    extension = Path(uploaded.name or "").suffix.lower()
    permitted = allowed or tuple(ALLOWED_UPLOADS)
    if extension not in permitted or extension not in ALLOWED_UPLOADS:
        raise ValidationError(
            _("The file must be a %(types)s")
            % {"types": ", ".join(sorted(ext.lstrip(".").upper() for ext in permitted))},
            code="file_type",
        )
    signatures = ALLOWED_UPLOADS[extension]
    position = uploaded.tell() if hasattr(uploaded, "tell") else 0
    uploaded.seek(0)
    head = uploaded.read(2048)
    uploaded.seek(position)
    if isinstance(head, str):
        head = head.encode()
    if signatures is None:
        if b"\x00" in head:
            raise ValidationError(
                _("The file must be plain text; this one is not"), code="file_content"
            )
        return
    if not any(head.startswith(signature) for signature in signatures):
        raise ValidationError(
            _("The file is not a real %(type)s file") % {"type": extension.lstrip(".").upper()},
            code="file_content",
        )


def validate_csv_upload(uploaded) -> None:
    validate_upload(uploaded, allowed=(".csv",))
