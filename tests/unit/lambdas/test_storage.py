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
    """S3 answers at most 1,000 keys a page: every page is asked for with the previous
    page's ContinuationToken, and all of them are returned in order."""
    keys = [f"inputs/{index:04d}.png" for index in range(1005)]
    pages = [keys[:1000], keys[1000:1003], keys[1003:]]
    tokens = [None, "token-1", "token-2"]
    with Stubber(s3) as stubber:
        for number, (page, token) in enumerate(zip(pages, tokens, strict=True)):
            last = number == len(pages) - 1
            response = {
                "Contents": [{"Key": key} for key in page],
                "KeyCount": len(page),
                "IsTruncated": not last,
            }
            if not last:
                response["NextContinuationToken"] = tokens[number + 1]
            expected = {"Bucket": "batch", "Prefix": "inputs/"}
            if token:
                expected["ContinuationToken"] = token
            stubber.add_response("list_objects_v2", response, expected)
        assert storage.list_keys(s3, "batch", "inputs/") == keys
        stubber.assert_no_pending_responses()
