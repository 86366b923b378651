"""The warehouse's storage, a local directory or an S3-compatible bucket, for what is done outside
Spark: finding the Delta tables (the catalog), reading and replacing a table's files (erasure),
and the settings Spark (Hadoop's s3a) needs to reach it.

Locations are strings as Spark takes them: `/lake/warehouse/gold/x` or `s3a://bucket/warehouse/gold/x`.
"""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from pyarrow import fs

from healthlake.settings import Settings

S3A = "s3a://"
# Delta's log store for s3a:// (healthlake/jvm/healthlake/storage): each commit is a PUT that the
# store refuses when the version exists, so concurrent Spark drivers never overwrite a commit.
CONDITIONAL_PUT_LOG_STORE = "healthlake.storage.ConditionalPutLogStore"


@cache
def _filesystem(settings: Settings) -> fs.FileSystem:
    if not settings.is_object_storage:
        return fs.LocalFileSystem()
    return fs.S3FileSystem(
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key(),
        region=settings.s3_region,
        endpoint_override=settings.s3_endpoint or None,
    )


def _fs_path(location: str) -> str:
    """The location as pyarrow's file system names it (`bucket/key` for S3)."""
    return location[len(S3A) :] if location.startswith(S3A) else location


def is_delta_table(settings: Settings, location: str) -> bool:
    """A table with at least one committed version (an aborted first write leaves none)."""
    return any(
        name.endswith(".json") or ".checkpoint" in name for name in file_names(settings, f"{location}/_delta_log")
    )


def file_names(settings: Settings, location: str) -> list[str]:
    """Names of the files directly under `location` ([] when it does not exist)."""
    infos = _filesystem(settings).get_file_info(fs.FileSelector(_fs_path(location), allow_not_found=True))
    return sorted(info.base_name for info in infos if info.type == fs.FileType.File)


def child_names(settings: Settings, location: str) -> list[str]:
    """Names of the directories (key prefixes) directly under `location`."""
    infos = _filesystem(settings).get_file_info(fs.FileSelector(_fs_path(location), allow_not_found=True))
    return sorted(info.base_name for info in infos if info.type == fs.FileType.Directory)


def read_text(settings: Settings, location: str) -> str:
    with _filesystem(settings).open_input_stream(_fs_path(location)) as stream:
        return stream.read().decode("utf-8", errors="replace")


def make_dirs(settings: Settings, location: str) -> None:
    """A local directory is made; object storage has no directories to make."""
    if not settings.is_object_storage:
        _filesystem(settings).create_dir(_fs_path(location), recursive=True)


def delete_tree(settings: Settings, location: str) -> None:
    filesystem, path = _filesystem(settings), _fs_path(location)
    if filesystem.get_file_info(path).type != fs.FileType.NotFound:
        filesystem.delete_dir(path)


def move_tree(settings: Settings, source: str, target: str) -> None:
    """Move a directory to a location that does not exist: a rename on disk, copies then deletes on
    object storage (which has no rename)."""
    filesystem, source_path, target_path = _filesystem(settings), _fs_path(source), _fs_path(target)
    if not settings.is_object_storage:
        filesystem.move(source_path, target_path)
        return
    for info in filesystem.get_file_info(fs.FileSelector(source_path, recursive=True)):
        if info.type == fs.FileType.File:
            filesystem.copy_file(info.path, target_path + info.path[len(source_path) :])
    filesystem.delete_dir(source_path)


def hadoop_options(settings: Settings) -> dict[str, str]:
    """Spark settings for the warehouse's object store (none for a local warehouse)."""
    if not settings.is_object_storage:
        return {}
    options = {
        "spark.hadoop.fs.s3a.access.key": settings.s3_access_key,
        "spark.hadoop.fs.s3a.secret.key": settings.s3_secret_key(),
        "spark.hadoop.fs.s3a.endpoint.region": settings.s3_region,
        # Commits are PUTs with If-None-Match (S3 since 2024, MinIO, Ceph): see CONDITIONAL_PUT_LOG_STORE.
        "spark.hadoop.fs.s3a.create.conditional.enabled": "true",
        # ... so S3A's own checks before a create (a HEAD and a LIST per file) are not needed.
        "spark.hadoop.fs.s3a.create.performance": "true",
        "spark.delta.logStore.s3a.impl": CONDITIONAL_PUT_LOG_STORE,
        "spark.delta.logStore.s3.impl": CONDITIONAL_PUT_LOG_STORE,
    }
    if settings.s3_endpoint:
        endpoint = urlsplit(settings.s3_endpoint)
        options |= {
            "spark.hadoop.fs.s3a.endpoint": settings.s3_endpoint,
            # A self-hosted store (MinIO) serves buckets as paths, not as host names.
            "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.connection.ssl.enabled": str(endpoint.scheme == "https").lower(),
        }
    return options
