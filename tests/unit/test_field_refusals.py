"""Input users got wrong in the field (issue 24), refused with one line naming the fix: a path
in endpoint=, a storage class spelled otherwise than S3 spells it, a read timeout variable that
is no number."""

from __future__ import annotations

import pytest

from git_annex_remote_s3py import config
from git_annex_remote_s3py.errors import ConfigError
from git_annex_remote_s3py.store.aws import READ_TIMEOUT, read_timeout


def settings(**values: str):
    given = {"bucket": "b-1", **values}
    return config.load_settings(lambda name: given.get(name, ""))


@pytest.mark.parametrize("values, fix", [
    ({"endpoint": "http://HOST/mybucket"},
     "write endpoint=http://HOST and bucket=mybucket (bucket= names the bucket"),
    ({"endpoint": "https://s3.example.org:9000/data/ds1/"},
     "write endpoint=https://s3.example.org:9000 and bucket=data fileprefix=ds1/"),
    ({"endpoint": "http://HOST/?x=1"}, "write endpoint=http://HOST (bucket="),
    ({"host": "HOST/mybucket"}, "host='HOST/mybucket' has a path"),
])
def test_a_path_in_the_endpoint_is_refused(values, fix):
    with pytest.raises(ConfigError) as caught:
        settings(**values)
    assert fix in str(caught.value)


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:9000", "http://127.0.0.1:9000/",
                                      "https://s3.eu-west-1.amazonaws.com"])
def test_an_endpoint_without_a_path_is_accepted(endpoint):
    assert settings(endpoint=endpoint).endpoint == endpoint.rstrip("/")


@pytest.mark.parametrize("values, said", [
    ({"storageclass": "glacier"}, "storageclass='glacier': S3 spells it GLACIER; write "
                                  "storageclass=GLACIER"),
    ({"storageclass": "Standard_IA", "endpoint": "http://127.0.0.1:9000"},
     "S3 spells it STANDARD_IA"),
    ({"storageclass": "COLD"}, "storageclass='COLD' is not an S3 storage class; write one of "
                               "STANDARD, REDUCED_REDUNDANCY"),
])
def test_a_storage_class_s3_does_not_spell_so_is_refused(values, said):
    with pytest.raises(ConfigError) as caught:
        settings(**values)
    assert said in str(caught.value)


def test_a_server_may_have_storage_classes_of_its_own():
    """Ceph RGW's placement targets define classes of any name: with an endpoint= the server
    says whether it has one (InvalidStorageClass, mapped in the store)."""
    assert settings(storageclass="COLD", endpoint="http://127.0.0.1:9000").storageclass == "COLD"
    assert settings(storageclass="DEEP_ARCHIVE").storageclass == "DEEP_ARCHIVE"


def test_storage_classes_are_botocores():
    import botocore.session

    model = botocore.session.get_session().get_service_model("s3")
    assert set(model.shape_for("StorageClass").enum) == set(config.STORAGE_CLASSES)


def test_the_tagging_example_in_the_refusal_pastes_into_a_shell():
    with pytest.raises(ConfigError) as caught:
        settings(**{"x-amz-tagging": "=x"})
    assert "'x-amz-tagging=project=demo&owner=me' (quoted" in str(caught.value)


@pytest.mark.parametrize("text", ["abc", "-5", "0", "nan"])
def test_a_read_timeout_variable_that_is_no_number_is_named(monkeypatch, text):
    monkeypatch.setenv("GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT", text)
    with pytest.raises(ConfigError) as caught:
        read_timeout()
    assert str(caught.value) == (f"GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT={text!r} is not a number "
                                 "of seconds; write e.g. GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT=30")


@pytest.mark.parametrize("text, seconds", [("", READ_TIMEOUT), (" ", READ_TIMEOUT),
                                           ("0.3", 0.3), ("120", 120.0)])
def test_a_read_timeout_variable_sets_the_timeout(monkeypatch, text, seconds):
    monkeypatch.setenv("GIT_ANNEX_REMOTE_S3PY_READ_TIMEOUT", text)
    assert read_timeout() == seconds


@pytest.mark.parametrize("prefix, folders", [
    ("", []), ("ds1/", [""]), ("e/sub/", ["e/", ""]), ("e/sub/x-", ["e/sub/", "e/", ""]),
    ("plain-", [""]),
])
def test_enclosing_prefixes_nearest_first(prefix, folders):
    from git_annex_remote_s3py.annex.setup import enclosing_prefixes

    assert enclosing_prefixes(prefix) == folders


def test_present_values_of_a_per_key_log_newest_line_wins():
    from git_annex_remote_s3py.annexlog import present_values

    log = ("1.5s 1 :s3py://u@b/v/a?versionId=1\n2.0s 1 http://h/b/v/a?versionId=1\n"
           "3.0s 0 http://h/b/v/a?versionId=1\n1.0s 1 uuid-a\n0.5s 0 uuid-a\n0.1s X uuid-dead\n")
    assert present_values(log) == {":s3py://u@b/v/a?versionId=1", "uuid-a"}
