import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from lambdas import storage
from lambdas.errors import InputMissingError, StorageUnavailableError


def test_exists(s3):
    s3.put_object(Bucket="batch", Key="cache/local/abc.png.old", Body=b"x")
    assert not storage.exists(s3, "batch", "cache/local/abc.png")
    s3.put_object(Bucket="batch", Key="cache/local/abc.png", Body=b"x")
    assert storage.exists(s3, "batch", "cache/local/abc.png")


def test_exists_settles_a_403_with_a_listing_of_the_key(s3):
    s3.put_object(Bucket="batch", Key="cache/local/abc.png.old", Body=b"x")
    with Stubber(s3) as stubber:  # what a caller without bucket-wide ListBucket sees
        stubber.add_client_error("head_object", service_error_code="403", http_status_code=403)
        stubber.add_response(
            "list_objects_v2",
            {"Contents": [{"Key": "cache/local/abc.png.old"}], "KeyCount": 1},
            {"Bucket": "batch", "Prefix": "cache/local/abc.png", "MaxKeys": 1},
        )
        assert storage.exists(s3, "batch", "cache/local/abc.png") is False


def test_missing_objects_and_transient_faults_become_our_errors(s3):
    with pytest.raises(
        InputMissingError, match="S3 object 'inputs/none.png' does not exist in bucket 'batch'"
    ):
        storage.read_bytes(s3, "batch", "inputs/none.png")
    with Stubber(s3) as stubber:
        stubber.add_client_error(
            "get_object", service_error_code="AccessDenied", http_status_code=403
        )
        with pytest.raises(InputMissingError, match="or may not be read"):
            storage.read_bytes(s3, "batch", "inputs/hidden.png")
        stubber.add_client_error("put_object", service_error_code="SlowDown", http_status_code=503)
        with pytest.raises(StorageUnavailableError, match="will retry"):
            storage.write_bytes(s3, "batch", "outputs/a.png", b"x", "image/png")
        stubber.add_client_error(
            "get_object", service_error_code="InvalidObjectState", http_status_code=403
        )
        with pytest.raises(ClientError):
            storage.read_bytes(s3, "batch", "inputs/glacier.png")


def test_listing_pages_through_everything(s3):
    for index in range(1005):
        s3.put_object(Bucket="batch", Key=f"inputs/{index:04d}.png", Body=b"")
    keys = storage.list_keys(s3, "batch", "inputs/")
    assert len(keys) == 1005 and keys == sorted(keys)
