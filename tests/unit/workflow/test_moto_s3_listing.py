"""Workaround 14 lists exactly what moto's own ListObjectsV2 lists, page by page.

Random buckets (plain and versioned, with delete markers), random requests (prefix,
delimiter, StartAfter, MaxKeys) and random writes between pages: every page, its
truncation and its continuation token must equal what moto's unpatched code answers
for the same request on the same bucket at the same moment.
"""

import random

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from workflow import moto_s3_listing, moto_workarounds

# Letters that matter to the listing: the delimiters, their overlaps, and code points
# whose order differs between UTF-16 and UTF-8 (moto sorts by Python's code points).
ALPHABET = ["a", "b", "/", "-", "ab", "é", "\uffff", "\U0001f600", "0"]
DELIMITERS = [None, "/", "-", "ab", "a", "é"]


@pytest.fixture
def backend():
    moto_workarounds.apply()
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="plain")
        s3.create_bucket(Bucket="versioned")
        s3.put_bucket_versioning(Bucket="versioned", VersioningConfiguration={"Status": "Enabled"})
        yield s3_backends[DEFAULT_ACCOUNT_ID]["aws"], s3
    moto_workarounds.reset_clients()


def random_key(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6)))


def random_write(rng: random.Random, backend, bucket: str) -> None:
    """A put, a delete (a delete marker when versioned) or a version's removal."""
    names = list(dict.keys(backend.get_bucket(bucket).keys))
    choice = rng.random()
    if choice < 0.6 or not names:
        backend.put_object(bucket, random_key(rng), b"x")
    elif choice < 0.85:
        backend.delete_object(bucket, rng.choice(names))
    else:
        name = rng.choice(names)
        version = rng.choice(backend.get_bucket(bucket).keys.getlist(name))
        backend.delete_object(bucket, name, version_id=version.version_id)


def summary(answer) -> tuple:
    entries, truncated, token = answer
    return (
        [e if isinstance(e, str) else (e.name, e.version_id, id(e)) for e in entries],
        truncated,
        token,
    )


def both(backend, bucket: str, **request) -> tuple:
    """(moto's answer, the workaround's answer) to one ListObjectsV2 request."""
    fake = backend.get_bucket(bucket)
    ours = moto_s3_listing._paged_list_objects_v2(backend, fake, **request)
    theirs = moto_s3_listing.ORIGINAL_LIST_OBJECTS_V2(backend, fake, **request)
    return summary(theirs), summary(ours)


def random_request(rng: random.Random, names: list[str]) -> dict:
    known = names or ["a"]
    return {
        "prefix": rng.choice([None, "", *(n[: rng.randint(0, len(n))] for n in known[:5])]),
        "delimiter": rng.choice(DELIMITERS),
        "continuation_token": None,
        "start_after": rng.choice([None, "", random_key(rng), rng.choice(known)]),
        "max_keys": rng.choice([1, 2, 3, 7, 1000]),
    }


@pytest.mark.parametrize("seed", range(40))
def test_every_page_matches_moto_s_with_writes_between_pages(backend, seed):
    moto_backend, _ = backend
    rng = random.Random(seed)
    for bucket in ("plain", "versioned"):
        for _ in range(rng.randint(0, 60)):
            random_write(rng, moto_backend, bucket)
        for _ in range(5):
            names = sorted(dict.keys(moto_backend.get_bucket(bucket).keys))
            request = random_request(rng, names)
            for _ in range(50):  # pages
                theirs, ours = both(moto_backend, bucket, **request)
                assert ours == theirs, (seed, bucket, request)
                if not theirs[1]:
                    break
                request = {**request, "continuation_token": theirs[2], "start_after": None}
                for _ in range(rng.randint(0, 3)):
                    random_write(rng, moto_backend, bucket)


def test_every_kind_of_write_reaches_the_listing(backend):
    """put, copy, multipart completion, delete, delete marker, batch delete, version removal."""
    _, s3 = backend
    for bucket in ("plain", "versioned"):
        listed = keys_of(s3, bucket)  # the index exists from here on
        s3.put_object(Bucket=bucket, Key="b/one", Body=b"1")
        s3.copy_object(Bucket=bucket, Key="a/copy", CopySource={"Bucket": bucket, "Key": "b/one"})
        upload = s3.create_multipart_upload(Bucket=bucket, Key="c/big")["UploadId"]
        part = s3.upload_part(
            Bucket=bucket, Key="c/big", UploadId=upload, PartNumber=1, Body=b"x" * 10
        )
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="c/big",
            UploadId=upload,
            MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
        )
        assert keys_of(s3, bucket) == [*listed, "a/copy", "b/one", "c/big"]
        s3.delete_object(Bucket=bucket, Key="b/one")
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a/copy"}]})
        assert keys_of(s3, bucket) == ["c/big"]
    versions = s3.list_object_versions(Bucket="versioned", Prefix="b/one")
    marker = versions["DeleteMarkers"][0]["VersionId"]
    s3.delete_object(Bucket="versioned", Key="b/one", VersionId=marker)
    assert keys_of(s3, "versioned") == ["b/one", "c/big"]
    # moto (so the workaround too) keeps "a/", which holds only a delete marker; AWS would not.
    assert keys_of(s3, "versioned", Delimiter="/") == ["a/", "b/", "c/"]


def keys_of(s3, bucket: str, **request) -> list[str]:
    """Every key (or common prefix) listed, two per page."""
    listed = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, MaxKeys=2, **request):
        listed += [entry["Key"] for entry in page.get("Contents", [])]
        listed += [entry["Prefix"] for entry in page.get("CommonPrefixes", [])]
    return listed
