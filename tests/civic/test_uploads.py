import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from civic.validators import validate_csv_upload, validate_upload


def test_a_real_pdf_is_accepted():
    validate_upload(SimpleUploadedFile("plan.pdf", b"%PDF-1.7\n%binary\n"))


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.CIVIC_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match=r"smaller than 1\.0"):
        validate_upload(SimpleUploadedFile("plan.pdf", b"%PDF-" + b"x" * 2000))


def test_a_type_not_on_the_list_is_refused_naming_the_types_allowed():
    with pytest.raises(ValidationError) as raised:
        validate_upload(SimpleUploadedFile("run.exe", b"MZ\x90\x00"))
    assert "The file must be a CSV, DOCX, JPEG, JPG, ODS, ODT, PDF, PNG, TXT, XLSX" in str(
        raised.value
    )


def test_a_file_whose_content_is_not_what_its_name_says_is_refused():
    with pytest.raises(ValidationError, match="not a real PDF"):
        validate_upload(SimpleUploadedFile("plan.pdf", b"<html><script>alert(1)</script>"))


def test_a_csv_must_be_text():
    validate_csv_upload(SimpleUploadedFile("postcodes.csv", b"pcds,wd25cd\nM1 1AE,E05011111\n"))
    with pytest.raises(ValidationError, match="plain text"):
        validate_csv_upload(SimpleUploadedFile("postcodes.csv", b"\x00\x01binary"))
    with pytest.raises(ValidationError, match="must be a CSV"):
        validate_csv_upload(SimpleUploadedFile("postcodes.pdf", b"%PDF-1.7"))
