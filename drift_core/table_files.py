"""Where a workspace's Parquet tables live: its `tables/` folder on local disk, or an S3-compatible bucket
(MinIO, S3, R2) under a `tables_uri` (docs/scale-out.md, "Tables on S3"; docs/design.md §2, §5).

Both kinds answer the same calls with *locations*: a local path or an `s3://bucket/key` URI, as text.
A file is written whole to a local temp file first, then published:
- local: fsync'd and renamed into place (a killed writer never leaves a named partial file);
- S3: uploaded to its final key in one PUT (or one multipart upload). S3 has no rename, and it needs
  none: an object is visible only once its upload completes, so a reader or a killed writer never sees
  a partial shard. A shard's completion marker stays what it is on disk, its trajectories file written
  after its turns file (drift_core/store.py).
DuckDB reads S3 through the same s3fs filesystem, registered on each connection (its httpfs extension
would need a download); the endpoint and keys come from the standard AWS variables (AWS_ENDPOINT_URL,
AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION), never from a config file.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from drift_core.errors import DriftError
from drift_core.faults import atomic_write, fsync_path

S3_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(/[^\s]*)?$")


def is_s3(location: str | Path) -> bool:
    return str(location).startswith("s3://")


def check_s3_uri(uri: str, field: str = "tables_uri") -> str:
    """`uri` without a trailing slash, or a DriftError naming `field` when it is no s3://BUCKET[/PREFIX]."""
    text = str(uri).rstrip("/")
    if not S3_URI.match(text):
        raise DriftError(f"{field}: {uri!r} is not an S3 location; give s3://BUCKET or s3://BUCKET/PREFIX "
                         "(a bucket name of 3-63 lower-case letters, digits, dots and dashes)")
    return text


def s3_filesystem():
    """An s3fs filesystem from the standard AWS environment, listing afresh every time (another process,
    or another host, may have written a shard since)."""
    try:
        import s3fs
    except ImportError:
        raise DriftError("tables on s3:// need s3fs: pip install 'drift[s3]' (or pip install s3fs)") from None
    return s3fs.S3FileSystem(use_listings_cache=False)


class LocalFiles:
    """The tables under a local folder (`<workspace>/tables`)."""

    remote = False

    def __init__(self, root: Path):
        self.root = root

    def location(self, relative: str) -> str:
        return str(self.root / relative)

    def exists(self, location: str) -> bool:
        return Path(location).exists()

    def glob(self, pattern: str) -> list[str]:
        """Files matching `pattern` (relative to the root), sorted."""
        return sorted(str(p) for p in self.root.glob(pattern) if p.is_file())

    def relative(self, location: str) -> str:
        return Path(location).relative_to(self.root).as_posix()

    def read_text(self, location: str) -> str:
        return Path(location).read_text()

    def write_text(self, location: str, text: str) -> None:
        atomic_write(location, text)  # temp + fsync + rename

    def temp_for(self, location: str) -> Path:
        """A temp name beside `location` (same file system, so the rename is atomic), dot-named so no
        view's glob reads it."""
        path = Path(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")

    def temp_dir(self, relative: str) -> Path:
        """Where temp files of files under `relative` lie (to remove a killed writer's)."""
        return self.root / relative

    def publish(self, tmp: Path, location: str) -> None:
        fsync_path(tmp)  # the bytes on disk before the name: a power loss never leaves a named partial shard
        os.replace(tmp, location)
        fsync_path(Path(location).parent)

    def remove(self, location: str) -> None:
        Path(location).unlink(missing_ok=True)

    def fingerprint(self, location: str) -> str:
        from drift_core.fingerprint import file_fingerprint  # here: fingerprint imports the config, which imports us

        return file_fingerprint(location)

    def signature(self, location: str) -> str:
        st = Path(location).stat()
        return f"{st.st_size} {st.st_mtime_ns}"

    def register(self, con) -> None:
        """Nothing to register: DuckDB reads local files itself."""

    def arrow(self, location: str):
        """(pyarrow filesystem or None, path) to read `location` with pyarrow."""
        return None, location


class S3Files:
    """The tables under an `s3://bucket/prefix` URI; temp files are staged in a local folder."""

    remote = True

    def __init__(self, uri: str, staging: Path):
        self.uri = check_s3_uri(uri)
        self.staging = staging
        self.fs = s3_filesystem()

    def location(self, relative: str) -> str:
        return f"{self.uri}/{relative}"

    def _key(self, location: str) -> str:
        return location.removeprefix("s3://")

    def exists(self, location: str) -> bool:
        return self._call(location, self.fs.exists, self._key(location))

    def glob(self, pattern: str) -> list[str]:
        keys = self._call(self.uri, self.fs.glob, self._key(self.location(pattern)))
        return sorted(f"s3://{k}" for k in keys)

    def relative(self, location: str) -> str:
        return location.removeprefix(self.uri + "/")

    def read_text(self, location: str) -> str:
        return self._call(location, self.fs.cat_file, self._key(location)).decode()

    def write_text(self, location: str, text: str) -> None:
        self._call(location, self.fs.pipe_file, self._key(location), text.encode())  # one PUT: whole or absent

    def temp_for(self, location: str) -> Path:
        path = self.staging / self.relative(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")

    def temp_dir(self, relative: str) -> Path:
        return self.staging / relative

    def publish(self, tmp: Path, location: str) -> None:
        self._call(location, self.fs.put_file, str(tmp), self._key(location))  # visible once uploaded whole

    def remove(self, location: str) -> None:
        if self.exists(location):
            self._call(location, self.fs.rm_file, self._key(location))

    def fingerprint(self, location: str) -> str:
        """The object's ETag and size: the store's digest of its bytes (an MD5 for a single PUT), so the
        content is never downloaded to name it."""
        info = self._call(location, self.fs.info, self._key(location))
        return f"{info.get('ETag', '').strip(chr(34))}-{info['size']}"

    def signature(self, location: str) -> str:
        return self.fingerprint(location)  # rewritten objects get a new ETag (and LastModified)

    def register(self, con) -> None:
        con.register_filesystem(self.fs)

    def arrow(self, location: str):
        import pyarrow.fs as pafs

        return pafs.PyFileSystem(pafs.FSSpecHandler(self.fs)), self._key(location)

    def _call(self, location: str, fn, *args):
        """fn(*args); an S3 failure (no such bucket, refused keys, no endpoint) as a DriftError naming it."""
        try:
            return fn(*args)
        except FileNotFoundError:
            if fn in (self.fs.exists, self.fs.glob):
                raise
            raise DriftError(f"{location}: not found (does the bucket of {self.uri} exist?)") from None
        except (OSError, PermissionError, ValueError) as exc:
            raise DriftError(f"{location}: S3 request failed ({type(exc).__name__}: {exc}); check the bucket, "
                             "AWS_ENDPOINT_URL and the AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the "
                             "environment") from None


def upload(tmp: Path, uri: str) -> None:
    """Publish the local file `tmp` as the object `uri` (s3://bucket/key) in one upload (see above)."""
    uri = check_s3_uri(uri, "--out")
    S3Files(uri, staging=tmp.parent).publish(tmp, uri)
