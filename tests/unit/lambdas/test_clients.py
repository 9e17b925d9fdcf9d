"""The handlers' shared S3 client reads S3's timestamps without dateutil."""

from datetime import datetime, timedelta

import pytest
from botocore.utils import parse_timestamp
from moto import mock_aws

from lambdas import clients


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-25T17:25:42.000Z",
        "2026-11-25T17:25:42Z",
        "2026-11-25T17:25:42.123456Z",
        "Wed, 25 Nov 2026 17:25:42 GMT",  # a header's form: botocore's parser
        "2026-11-25T17:25:42.000+02:00",
        "1764091542",
    ],
)
def test_s3_timestamps_parse_as_botocore_parses_them(text):
    assert clients.parse_s3_timestamp(text) == parse_timestamp(text)
    assert clients.parse_s3_timestamp(text).tzinfo is not None


def test_listings_and_heads_give_the_same_aware_times():
    with mock_aws():
        clients.reset()
        s3 = clients.s3()
        s3.create_bucket(Bucket="photos")
        s3.put_object(Bucket="photos", Key="k", Body=b"x")
        (listed,) = s3.list_objects_v2(Bucket="photos")["Contents"]
        head = s3.head_object(Bucket="photos", Key="k")
        clients.reset()
    assert listed["LastModified"] == head["LastModified"]
    assert listed["LastModified"].utcoffset() == timedelta(0)
    assert isinstance(listed["LastModified"], datetime)
