"""Copy pinned front-end packages from the npm registry into web/static/vendor/.

Run by hand when a pin changes: `python scripts/vendor_assets.py`. The files are
committed; `web/static/vendor/SHA256SUMS` lists their hashes and a test checks them.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "web" / "static" / "vendor"

# package, exact version, files inside the package tarball to keep
PACKAGES = [
    ("htmx.org", "2.0.11", ["dist/htmx.min.js", "LICENSE"]),
    ("@picocss/pico", "2.1.1", ["css/pico.min.css", "LICENSE.md"]),
    (
        "wavesurfer.js",
        "8.0.1",
        ["dist/wavesurfer.min.js", "dist/plugins/regions.min.js", "dist/plugins/timeline.min.js", "LICENSE"],
    ),
    # /docs (Swagger UI) without a CDN; the page's init script is web/static/js/api_docs.js
    (
        "swagger-ui-dist",
        "5.35.0",
        [
            "swagger-ui-bundle.js",
            "swagger-ui.css",
            "favicon-32x32.png",
            "LICENSE",
            "NOTICE",
            "swagger-ui-bundle.js.LICENSE.txt",
        ],
    ),
]


def fetch(package: str, version: str, files: list[str], workdir: Path) -> Path:
    out = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--pack-destination", str(workdir), "--silent"],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = workdir / out.stdout.strip().splitlines()[-1]
    target = VENDOR / f"{package.split('/')[-1]}-{version}"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        for name in files:
            member = archive.getmember(f"package/{name}")
            extracted = archive.extractfile(member)
            assert extracted is not None
            (target / Path(name).name).write_bytes(extracted.read())
    return target


def main() -> None:
    VENDOR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for package, version, files in PACKAGES:
            fetch(package, version, files, Path(tmp))
    lines = []
    for path in sorted(VENDOR.rglob("*")):
        if path.is_file() and path.name != "SHA256SUMS":
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{digest}  {path.relative_to(VENDOR).as_posix()}")
    (VENDOR / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
