import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from civic.postcodes import normalise_postcode
from civic.services import area_for_postcode, postcodes_load_csv
from tests.factories import AreaFactory, OrganisationFactory


@pytest.mark.parametrize(
    ("entered", "normal"),
    [
        ("m1 1ae", "M1 1AE"),
        ("M11AE", "M1 1AE"),
        ("  sw1a  1aa ", "SW1A 1AA"),
        ("B338TH", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("GIR 0AA", "GIR 0AA"),
    ],
)
def test_a_postcode_is_normalised_to_upper_case_with_one_space(entered, normal):
    assert normalise_postcode(entered) == normal


@pytest.mark.parametrize(
    "entered", ["", "M1", "not a postcode", "M1 1AEE", "Q1 1AA", "M1 1CA", "12345", "GIR 1AA"]
)
def test_a_malformed_postcode_is_refused_with_a_message_saying_what_to_enter(entered):
    with pytest.raises(ValidationError) as raised:
        normalise_postcode(entered)
    assert raised.value.messages == ["Enter a real UK postcode, like M1 1AE"]


ONS_EXTRACT = """pcd,pcds,dointr,doterm,wd25cd,lad25cd
M1  1AE,M1 1AE,199801,,E05011111,E08000003
M1  1AF,M1 1AF,199801,,E05011111,E08000003
M4  6AA,M4 6AA,199801,,E05022222,E08000003
B1  1AA,B1 1AA,199801,,E05099999,E08000025
M99 9ZZ,not-a-postcode,199801,,E05011111,E08000003
"""


@pytest.mark.django_db
def test_loading_the_ons_directory_keeps_only_the_organisations_wards_and_reports_bad_rows():
    council = OrganisationFactory()
    ancoats = AreaFactory(organisation=council, code="E05011111")
    piccadilly = AreaFactory(organisation=council, code="E05022222")

    report = postcodes_load_csv(actor=None, organisation=council, lines=io.StringIO(ONS_EXTRACT))

    assert report.loaded == 3
    assert report.unchanged == 0
    assert report.errors == ["Line 6: 'not-a-postcode' is not a UK postcode"]
    assert area_for_postcode(organisation=council, postcode="m11ae") == ancoats
    assert area_for_postcode(organisation=council, postcode="M4 6AA") == piccadilly
    assert area_for_postcode(organisation=council, postcode="B1 1AA") is None


@pytest.mark.django_db
def test_loading_the_same_file_twice_adds_nothing_the_second_time():
    council = OrganisationFactory()
    AreaFactory(organisation=council, code="E05011111")
    AreaFactory(organisation=council, code="E05022222")
    postcodes_load_csv(actor=None, organisation=council, lines=io.StringIO(ONS_EXTRACT))

    again = postcodes_load_csv(actor=None, organisation=council, lines=io.StringIO(ONS_EXTRACT))

    assert (again.loaded, again.unchanged) == (0, 3)
    assert council.areas.get(code="E05011111").postcodes.count() == 2


@pytest.mark.django_db
def test_a_file_without_the_needed_columns_is_refused_with_what_it_needs():
    council = OrganisationFactory()
    report = postcodes_load_csv(actor=None, organisation=council, lines=io.StringIO("a,b\n1,2\n"))
    assert report.loaded == 0
    assert "postcode column" in report.errors[0]


@pytest.mark.django_db
def test_a_newer_directory_moves_a_postcode_to_its_new_ward_leaving_one_answer():
    council = OrganisationFactory()
    old_ward = AreaFactory(organisation=council, code="E05011111")
    new_ward = AreaFactory(organisation=council, code="E05033333")
    postcodes_load_csv(actor=None, organisation=council, lines=io.StringIO(ONS_EXTRACT))
    moved = "pcds,wd25cd\nM1 1AE,E05033333\nM1 1AF,E05011111\n"

    report = postcodes_load_csv(actor=None, organisation=council, lines=io.StringIO(moved))

    assert (report.loaded, report.unchanged) == (1, 1)
    assert area_for_postcode(organisation=council, postcode="M1 1AE") == new_ward
    assert council.postcodes.filter(postcode="M1 1AE").count() == 1
    assert list(old_ward.postcodes.values_list("postcode", flat=True)) == ["M1 1AF"]


@pytest.mark.django_db
def test_the_national_file_loads_from_the_command_line(tmp_path, capsys):
    council = OrganisationFactory(slug="northbridge")
    AreaFactory(organisation=council, code="E05011111")
    AreaFactory(organisation=council, code="E05022222")
    path = tmp_path / "ONSPD.csv"
    path.write_text(ONS_EXTRACT, encoding="utf-8")

    call_command("load_postcodes", "northbridge", str(path))

    assert capsys.readouterr().out.strip() == "3 new or moved, 0 unchanged, 1 refused"
    assert council.postcodes.count() == 3
