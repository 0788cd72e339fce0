"""The cookie banner's weight: keepfaith's script and stylesheet, gzipped, beside
orestbida/cookieconsent (``vanilla-cookieconsent``) and Klaro, fetched from the npm
registry into a temporary directory in the same run (nothing is kept).

keepfaith's script is measured as served for the bundled Parature example (its cookie
declarations and English text built in) and as bare code; the peers are measured as
shipped, without the configuration a site adds. Run: ``python -m benchmarks.banner_size``.
"""

from __future__ import annotations

import gzip
import subprocess
import tarfile
import tempfile
from pathlib import Path

from keepfaith.collect.cookies import banner_asset, banner_script
from keepfaith.statement import load

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "parature" / "statement.yaml"
LIMIT = 12 * 1024
"""The issue's bound for keepfaith's script plus stylesheet, gzipped."""
PEERS = {
    "vanilla-cookieconsent@3.1.0": ["dist/cookieconsent.umd.js", "dist/cookieconsent.css"],
    "klaro@0.7.22": [
        "dist/klaro-no-translations-no-css.js",
        "dist/klaro-no-translations.min.css",
    ],
    "klaro@0.7.22 (as usually embedded: klaro.js, CSS and translations inside)": ["dist/klaro.js"],
}


def gzipped(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9, mtime=0))


def keepfaith_sizes() -> dict[str, tuple[int, int]]:
    """(raw, gzipped) bytes of keepfaith's banner, served for Parature and bare."""
    css = banner_asset("cookie-banner.css").encode()
    served = banner_script(
        load(EXAMPLE),
        endpoint="https://keepfaith.example/api/t/parature/cookies/consent",
        policy_url="https://keepfaith.example/t/parature/",
        style_url="https://keepfaith.example/t/parature/cookie-banner.css",
    ).encode()
    bare = banner_asset("cookie-banner.js").encode()
    return {
        "keepfaith, served for parature (config + text inside) + css": (
            len(served) + len(css),
            gzipped(served) + gzipped(css),
        ),
        "keepfaith, code + css (no config)": (len(bare) + len(css), gzipped(bare) + gzipped(css)),
    }


def peer_sizes(directory: Path) -> dict[str, tuple[int, int]]:
    """(raw, gzipped) bytes of each peer's files, from its npm tarball."""
    sizes: dict[str, tuple[int, int]] = {}
    for label, files in PEERS.items():
        spec = label.split(" ")[0]
        packed = subprocess.run(
            ["npm", "pack", spec, "--silent", "--pack-destination", str(directory)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        with tarfile.open(directory / packed) as tar:
            blobs = [tar.extractfile(f"package/{name}").read() for name in files]  # type: ignore[union-attr]
        sizes[label] = (sum(map(len, blobs)), sum(map(gzipped, blobs)))
    return sizes


def main() -> None:
    ours = keepfaith_sizes()
    with tempfile.TemporaryDirectory() as temp:
        theirs = peer_sizes(Path(temp))
    served = next(iter(ours.values()))[1]
    print(f"{'banner (script + stylesheet)':<75} {'raw':>8} {'gzip -9':>8} {'ratio':>6}")
    for label, (raw, packed) in {**ours, **theirs}.items():
        print(f"{label:<75} {raw:>8} {packed:>8} {packed / served:>6.2f}")
    verdict = "ok" if served <= LIMIT else "OVER"
    print(f"keepfaith served size {served} B; limit {LIMIT} B: {verdict}")


if __name__ == "__main__":
    main()
