"""How fast and how small dpa-kit refuses the hostile files of issue 13 (each in its own process).

    .venv/bin/python benchmarks/hostile.py

An XLSX register with one cell at XFD1048576 (no declared size), an ODS register whose row is repeated
a million times, a 50 MB YAML flow list. Each must end with exit code 2 and a French message; the time
and the highest peak memory of the runs so far (max RSS, Python start-up included) are printed.
Nothing here is a test: the machine is shared and noisy.
"""

from __future__ import annotations

import io
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _rewrite(data: bytes, name: str, edit) -> bytes:  # type: ignore[no-untyped-def]
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in source.namelist():
            body = source.read(part)
            archive.writestr(part, edit(body) if part == name else body)
    return out.getvalue()


def _files(work: Path) -> list[tuple[str, list[str]]]:
    from dpa_kit.register import init_register
    from dpa_kit.register_sheet import export

    register = init_register(ROOT / "registers", "26620011900011")
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    xlsx = _rewrite(
        export(register, "xlsx"),
        "xl/worksheets/sheet2.xml",
        lambda d: re.sub(rb"<dimension [^>]*/>", b"", d).replace(b"</sheetData>", far),
    )
    (work / "far.xlsx").write_bytes(xlsx)
    row = (
        b'<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string">'
        b"<text:p>x</text:p></table:table-cell></table:table-row>"
    )
    ods = _rewrite(
        export(register, "ods"), "content.xml", lambda d: d.replace(b"</table:table>", row + b"</table:table>", 1)
    )
    (work / "rows.ods").write_bytes(ods)
    with (work / "big.yaml").open("w", encoding="utf-8") as handle:
        handle.write("format: dpa-kit/1\nid: BIG\nnotes: [")
        for _ in range(25):
            handle.write("1," * 1_000_000)
        handle.write("1]\n")
    return [
        ("XLSX, one cell at XFD1048576", ["register", "import", str(work / "far.xlsx"), "-o", str(work / "o.yaml")]),
        (
            "ODS, a row repeated 1,000,000 times",
            ["register", "import", str(work / "rows.ods"), "-o", str(work / "o.yaml")],
        ),
        ("YAML, a 50 MB flow list", ["check", str(work / "big.yaml")]),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for label, args in _files(Path(folder)):
            start = time.perf_counter()
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            result = subprocess.run(
                [sys.executable, "-m", "dpa_kit", *args], capture_output=True, text=True, check=False
            )
            elapsed = time.perf_counter() - start
            peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) // 1024
            lines = (result.stderr + result.stdout).strip().splitlines()
            message = next((line.strip() for line in lines if "trop" in line or "plus de" in line), lines[-1])[:100]
            print(f"{label:40} exit {result.returncode}  {elapsed:5.2f} s  {peak:4d} MB  {message}")


if __name__ == "__main__":
    main()
