"""healthlake's own JVM classes (healthlake/jvm/: the SQL endpoint's sign-in and role checks, Delta's
log store for object storage), compiled with the JDK's javac against the jars pyspark ships and the
cached Delta jars, once per version of their source, into the jar cache.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from healthlake.jars import cached_jars
from healthlake.settings import Settings

SOURCES = Path(__file__).with_name("jvm")
EXTENSION = "healthlake.sql.AccessControl"
AUTHENTICATOR = "healthlake.sql.Authenticator"


class BuildError(RuntimeError):
    """javac is missing or failed."""


def _sources() -> list[Path]:
    return sorted(SOURCES.rglob("*.java"))


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for source in _sources():
        digest.update(source.relative_to(SOURCES).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:12]


def healthlake_jar(settings: Settings) -> Path:
    """The jar for the current sources, built on first use (a few seconds) and reused afterwards."""
    import pyspark

    jar = settings.jar_cache / f"healthlake-jvm-{_fingerprint()}.jar"
    if jar.exists():
        return jar
    javac = shutil.which("javac")
    if javac is None:
        raise BuildError("javac not found: healthlake's JVM classes need a JDK (17), not only a JRE")
    classpath = os.pathsep.join([str(Path(pyspark.__file__).parent / "jars" / "*"), *map(str, cached_jars(settings))])
    with tempfile.TemporaryDirectory() as classes:
        done = subprocess.run(
            [javac, "--release", "17", "-nowarn", "-cp", classpath, "-d", classes, *map(str, _sources())],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BuildError(f"javac failed on {SOURCES}:\n{done.stderr[-3000:]}")
        jar.parent.mkdir(parents=True, exist_ok=True)
        partial = jar.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
            for compiled in sorted(Path(classes).rglob("*.class")):
                archive.write(compiled, compiled.relative_to(classes).as_posix())
        partial.replace(jar)
    for stale in [*jar.parent.glob("healthlake-jvm-*.jar"), *jar.parent.glob("healthlake-sql-endpoint-*.jar")]:
        if stale != jar:
            stale.unlink()
    return jar


if __name__ == "__main__":
    # Built ahead (the image does this at build time), so a read-only install needs no javac at run time.
    from healthlake.settings import get_settings

    print(healthlake_jar(get_settings()))
