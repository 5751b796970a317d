"""dpa-kit benchmarks: one command, ratios measured side by side in the same run.

    .venv/bin/python benchmarks/run.py            # every benchmark
    .venv/bin/python benchmarks/run.py annex      # only some: annex, check, ledger, exchange, memory, age

The machine is shared and noisy: read the ratios, not the absolute times. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dpa_kit import yamlio

ROOT = Path(__file__).resolve().parents[1]
REGISTERS = ROOT / "registers"


def make_folder(target: Path, count: int) -> Path:
    """A folder of ``count`` conventions derived from the examples (ids and names varied)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(REGISTERS / "defaults.yaml", target / "defaults.yaml")
    sources = [p for p in sorted(REGISTERS.glob("*.yaml")) if p.name != "defaults.yaml"]
    for index in range(count):
        data = yamlio.read(sources[index % len(sources)]).data
        data["id"] = f"BENCH-{index:04d}"
        data["processor"]["short_name"] = f"Structure {index}"
        yamlio.write(target / f"BENCH-{index:04d}.yaml", data)
    return target


def timed(func, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


def bench_annex(work: Path, count: int) -> None:
    from dpa_kit.documents.annex import meta_for, render_markdown
    from dpa_kit.documents.build import build_folder
    from dpa_kit.documents.markdown import parse_blocks
    from dpa_kit.documents.writers import FORMATS, write
    from dpa_kit.loader import load_folder

    folder = make_folder(work / "conventions", count)
    print(f"\n== annex: {count} conventions ==")
    load_time, loaded = timed(load_folder, folder)
    print(f"load and validate: {load_time / count * 1000:.2f} ms per convention")
    conventions = [item.convention for item in loaded]
    per_format = {}
    text_time, prepared = timed(
        lambda: [(c, m := render_markdown(c), parse_blocks(m), meta_for(c, False)) for c in conventions]
    )
    print(f"template + parse: {text_time / count * 1000:.2f} ms per annex")
    for fmt in FORMATS:
        seconds, _ = timed(lambda: [write(fmt, m, b, meta) for c, m, b, meta in prepared])
        per_format[fmt] = seconds
        print(f"  {fmt:5s}: {seconds / count * 1000:7.2f} ms per annex")
    for jobs in (1, 2):
        out = work / f"out-j{jobs}"
        seconds, report = timed(build_folder, folder, out, list(FORMATS), jobs=jobs)
        print(f"build, every format, -j {jobs}: {seconds:6.2f} s ({seconds / count * 1000:.1f} ms per convention)")
        build_seconds = seconds
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        print("LibreOffice not installed: no comparison")
        return
    docx = sorted((work / "out-j2").glob("*.docx"))
    profile = (work / "lo-profile").as_uri()
    seconds, _ = timed(
        subprocess.run,
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "lo"),
            *map(str, docx),
        ],
        check=True,
        capture_output=True,
    )
    print(f"LibreOffice headless, the same {len(docx)} DOCX to PDF: {seconds:6.2f} s")
    print(
        f"ratio: dpa-kit build in 5 formats (-j 2) takes {build_seconds / seconds:.2f}x "
        f"LibreOffice's PDF conversion alone"
    )


#: Children may write and read their .pyc files, as an installed package does (pip compiles it): with
#: PYTHONDONTWRITEBYTECODE set, an editable install would compile dpa-kit's sources at every run.
_BYTECODE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _child_cpu(argv: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of ``argv``: CPU (user + system) is steadier on a shared machine."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=False, env=_BYTECODE_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_check(work: Path, count: int) -> None:
    """``dpa-kit check`` on a folder, then on one file side by side with a bare import of its libraries.

    The baseline is ``import pydantic, ruamel.yaml, click`` (ruamel.yaml replaced PyYAML: YAML 1.2 and
    positions). Runs alternate (dpa-kit, baseline, dpa-kit...) so that both see the same load; the ratio of
    the medians is the figure (goal 1.5). ``python -X importtime -m dpa_kit check FILE`` says where it goes.
    """
    folder = make_folder(work / "check-conventions", count)
    print(f"\n== check: {count} conventions ==")
    exe = Path(sys.executable).parent / "dpa-kit"
    seconds, _ = timed(subprocess.run, [str(exe), "check", str(folder)], capture_output=True)
    print(f"dpa-kit check on {count} conventions: {seconds:.2f} s")
    one = next(folder.glob("BENCH-*.yaml"))
    runs = 15
    for _ in range(2):  # warm: .pyc files, Jinja2's template cache
        subprocess.run([str(exe), "check", str(one)], capture_output=True, check=False, env=_BYTECODE_ENV)
    ours: list[tuple[float, float]] = []
    bare: list[tuple[float, float]] = []
    floor: list[tuple[float, float]] = []
    for _ in range(runs):
        ours.append(_child_cpu([str(exe), "check", str(one)]))
        bare.append(_child_cpu([sys.executable, "-c", "import pydantic, ruamel.yaml, click"]))
        floor.append(_child_cpu([sys.executable, "-c", _ONE_MODEL]))

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    for index, what in ((0, "wall"), (1, "CPU")):
        mine, base = median([r[index] for r in ours]), median([r[index] for r in bare])
        least = median([r[index] for r in floor])
        print(
            f"one file, {what:4s} (median of {runs}): dpa-kit check {mine * 1000:4.0f} ms; python importing "
            f"pydantic+ruamel.yaml+click {base * 1000:4.0f} ms; ratio {mine / base:.2f} (validating a one-field "
            f"pydantic model besides: {least * 1000:4.0f} ms, ratio {least / base:.2f})"
        )


#: What any program validating with pydantic pays beyond ``import pydantic`` (which imports almost nothing): the
#: model machinery and the plugin loader (importlib.metadata), as the floor of the ``check`` ratio.
_ONE_MODEL = (
    "import pydantic, ruamel.yaml, click\nclass One(pydantic.BaseModel):\n    a: int\nOne.model_validate({'a': 1})"
)


def bench_ledger(work: Path, count: int) -> None:
    from datetime import timedelta

    from dpa_kit import breach
    from dpa_kit.clock import parse_instant
    from dpa_kit.ledger import Ledger

    print(f"\n== ledger: {count} events ==")
    work.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(work / "l.sqlite")
    runs = 300
    seconds, _ = timed(lambda: [ledger.append("bench.single", "S", {"i": i}) for i in range(runs)])
    print(f"append, one transaction per event (synchronous=FULL): {runs / seconds:8.0f} events/s")
    start = parse_instant("2026-01-01T09:00")
    batch, done, breaches, seconds = 1000, runs, 0, 0.0
    # A realistic mix: mostly exchange and attestation events, one breach in fifty events.
    while done < count:
        began = time.perf_counter()
        with ledger.unit_of_work() as writer:
            for _ in range(min(batch, count - done)):
                aware = start + timedelta(minutes=done)
                if done % 50 == 0:
                    breaches += 1
                    writer.append(
                        "breach.declared",
                        f"V-B-{breaches:06d}",
                        {
                            "convention": "C",
                            "structure": "S",
                            "aware_at": aware.isoformat(),
                            "notify_delay_hours": 24,
                            "notify_deadline": (aware + timedelta(hours=24)).isoformat(),
                            "details": {"natures": ["confidentiality"], "description": "x"},
                        },
                    )
                else:
                    writer.append(
                        "exchange.packed", f"C-{done % 200}", {"files": 3, "bytes": 123456, "sha256": "0" * 64}
                    )
                done += 1
        seconds += time.perf_counter() - began
    print(f"append, {batch} events per transaction: {(count - runs) / seconds:8.0f} events/s")
    exe = Path(sys.executable).parent / "dpa-kit"
    env = {**os.environ, "DPA_KIT_LEDGER": str(work / "l.sqlite"), "DPA_KIT_NOW": "2027-01-01T00:00"}
    seconds, result = timed(
        subprocess.run, [str(exe), "breach", "list", "--overdue", "--format", "json"], capture_output=True, env=env
    )
    print(
        f"dpa-kit breach list --overdue with {done} events ({breaches} breaches, all overdue): "
        f"{seconds:.2f} s, exit {result.returncode}"
    )
    seconds, verification = timed(ledger.verify)
    print(f"ledger verify of {verification.checked} events: {seconds:.2f} s")
    assert breach  # the module is what the CLI uses; imported here to fail early if it breaks


def _measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of one child process, measured with wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed with exit code {proc.returncode}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def _csv_like(path: Path, size: int) -> None:
    import random

    rng = random.Random(42)
    names = [
        "MARTIN",
        "BERNARD",
        "DUBOIS",
        "THOMAS",
        "ROBERT",
        "RICHARD",
        "PETIT",
        "DURAND",
        "LEROY",
        "MOREAU",
        "LEFEBVRE",
        "GARNIER",
        "FAURE",
        "ROUSSEL",
        "BLANC",
        "GUERIN",
        "MULLER",
        "HENRY",
        "BOYER",
        "DUPONT",
    ]
    first = [
        "Jean",
        "Marie",
        "Nathalie",
        "Isabelle",
        "Sylvie",
        "Pierre",
        "Michel",
        "Sophie",
        "Kevin",
        "Lucas",
        "Emma",
        "Léa",
    ]
    towns = ["Arras", "Béthune", "Lens", "Calais", "Boulogne-sur-Mer", "Liévin", "Hénin-Beaumont", "Saint-Omer"]
    with path.open("w", encoding="utf-8") as handle:
        handle.write("nom;prenom;date_naissance;nir;adresse;commune;telephone;situation;montant_rsa\n")
        written = 0
        while written < size:
            rows = []
            for _ in range(5000):
                rows.append(
                    f"{rng.choice(names)};{rng.choice(first)};{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2005)};"
                    f"{rng.randint(1, 2)} {rng.randint(50, 99)} {rng.randint(1, 12):02d} 62 {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(10, 97)};"
                    f"{rng.randint(1, 200)} rue {rng.choice(names).title()};{rng.choice(towns)};06{rng.randint(10000000, 99999999)};"
                    f"{rng.choice(['isolé', 'couple', 'famille monoparentale', 'couple avec enfants'])};{rng.randint(300, 1400)},{rng.randint(0, 99):02d}\n"
                )
            chunk = "".join(rows)
            handle.write(chunk)
            written += len(chunk.encode("utf-8"))


def bench_exchange(work: Path, size_mb: int) -> None:
    """dpa-kit pack against 7-Zip -mx=1 in the same run (speed ratio >= 1 and size ratio <= 1 wanted on CSV),
    peak memory of pack and open (< 100 MiB wanted), the encrypted spool's cost, verify on 10,000 entries."""
    print(f"\n== exchange: ~{size_mb} MB of CSV-like personal data and {size_mb} MB of random bytes ==")
    work.mkdir(parents=True, exist_ok=True)
    size = size_mb * 1_000_000
    datasets = {"csv": work / "csv", "random": work / "random"}
    datasets["csv"].mkdir()
    _csv_like(datasets["csv"] / "beneficiaires.csv", size)
    datasets["random"].mkdir()
    with (datasets["random"] / "scans.bin").open("wb") as handle:
        for _ in range(size // (1 << 20) + 1):
            handle.write(os.urandom(1 << 20))
    exe = str(Path(sys.executable).parent / "dpa-kit")
    password = "k7mq-3xw9-hp2t-va8e-n4rd-zc6u"
    env = {**os.environ, "DPA_KIT_PASSWORD": password, "DPA_KIT_LEDGER": str(work / "none.sqlite")}
    seven = shutil.which("7zz")
    for kind, folder in datasets.items():
        total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
        archive = work / f"{kind}.zip"
        pack_s, pack_rss = _measure([exe, "exchange", "pack", str(folder), "-o", str(archive)], env)
        ours = archive.stat().st_size
        out = work / f"{kind}-out"
        open_s, open_rss = _measure([exe, "exchange", "open", str(archive), "-o", str(out)], env)
        shutil.rmtree(out)
        verify_s, verify_rss = _measure([exe, "exchange", "verify", str(archive)], env)
        print(f"-- {kind}: {total:.0f} MB")
        print(f"  dpa-kit pack     {total / pack_s:7.1f} MB/s  peak {pack_rss:6.1f} MiB  {ours / 1e6:7.1f} MB")
        print(
            f"  dpa-kit open     {total / open_s:7.1f} MB/s  peak {open_rss:6.1f} MiB  (all-or-nothing, SHA-256 checked)"
        )
        print(f"  dpa-kit verify   {total / verify_s:7.1f} MB/s  peak {verify_rss:6.1f} MiB")
        if seven:
            target = work / f"{kind}-7z.zip"
            seven_s, seven_rss = _measure(
                [seven, "a", "-tzip", "-mem=AES256", f"-p{password}", "-mx=1", str(target), str(folder)]
            )
            theirs = target.stat().st_size
            print(f"  7zz a -mx=1      {total / seven_s:7.1f} MB/s  peak {seven_rss:6.1f} MiB  {theirs / 1e6:7.1f} MB")
            print(
                f"  => speed ratio (7-Zip time / dpa-kit time): {seven_s / pack_s:.2f} (>= 1 wanted); "
                f"size ratio (dpa-kit / 7-Zip): {ours / theirs:.3f} (<= 1 wanted); "
                f"peak memory pack/open: {pack_rss:.0f}/{open_rss:.0f} MiB (< 100 wanted)"
            )
            target.unlink()
        archive.unlink()
        shutil.rmtree(folder)
    _bench_spool(work)
    _bench_verify_many(work)


def _bench_spool(work: Path) -> None:
    from dpa_kit.spool import EncryptedSpool

    block = os.urandom(1 << 20)
    spool = EncryptedSpool(work)
    start = time.perf_counter()
    for _ in range(256):
        spool.write(block)
    reader = spool.seal()
    written = time.perf_counter() - start
    start = time.perf_counter()
    while reader.read(1 << 20):
        pass
    read = time.perf_counter() - start
    reader.close()
    print(
        f"-- encrypted spool (AES-256-CTR, one-time key), 268 MB: write {268 / written:6.0f} MB/s, "
        f"read {268 / read:6.0f} MB/s"
    )


def _bench_verify_many(work: Path, count: int = 10_000) -> None:
    """verify of an archive whose inner table of contents is in reverse order (was quadratic)."""
    import hashlib
    import io
    import json
    import struct
    import zipfile

    import pyzipper

    from dpa_kit.exchange import open_archive

    files = [(f"dossier/f{i:05d}.txt", f"ligne {i};DUPONT;Jean\n".encode() * 10) for i in range(count)]
    manifest = {
        "format": "dpa-kit-exchange/1",
        "created_at": "x",
        "tool": "bench",
        "files": [{"path": n, "size": len(d), "sha256": hashlib.sha256(d).hexdigest()} for n, d in files],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as inner:
        for name, data in [*files, ("MANIFEST.dpa-kit.json", json.dumps(manifest).encode())]:
            inner.writestr(name, data)
    data = buffer.getvalue()
    end = data.rindex(b"PK\x05\x06")
    size, offset = struct.unpack("<LL", data[end + 12 : end + 20])
    records, at = [], offset
    while at < offset + size:
        n, m, k = struct.unpack("<3H", data[at + 28 : at + 34])
        records.append(data[at : at + 46 + n + m + k])
        at += 46 + n + m + k
    reversed_zip = data[:offset] + b"".join(reversed(records)) + data[offset + size :]
    archive = work / "many.zip"
    password = "k7mq-3xw9-hp2t-va8e-n4rd-zc6u"
    with pyzipper.AESZipFile(archive, "w", encryption=pyzipper.WZ_AES) as outer:
        outer.setpassword(password.encode())
        outer.writestr("contenu.zip", reversed_zip)
    seconds, result = timed(open_archive, archive, password, None)
    print(
        f"-- verify of {count} entries listed in reverse order: {seconds:.2f} s ({len(result.files)} files, "
        f"verified={result.verified})"
    )


def bench_memory(work: Path, size_mb: int) -> None:
    print(f"\n== exchange memory: one {size_mb} MB file (random bytes) ==")
    work.mkdir(parents=True, exist_ok=True)
    (work / "in").mkdir()
    with (work / "in" / "big.bin").open("wb") as handle:
        for _ in range(size_mb):
            handle.write(os.urandom(1_000_000))
    exe = str(Path(sys.executable).parent / "dpa-kit")
    env = {
        **os.environ,
        "DPA_KIT_PASSWORD": "k7mq-3xw9-hp2t-va8e-n4rd-zc6u",
        "DPA_KIT_LEDGER": str(work / "none.sqlite"),
    }
    seconds, rss = _measure([exe, "exchange", "pack", str(work / "in"), "-o", str(work / "big.zip")], env)
    print(f"  pack: {size_mb / seconds:6.1f} MB/s, peak {rss:6.1f} MiB")
    seconds, rss = _measure([exe, "exchange", "open", str(work / "big.zip"), "-o", str(work / "out")], env)
    print(f"  open: {size_mb / seconds:6.1f} MB/s, peak {rss:6.1f} MiB")


_AGE_CHILD = {
    "pyrage encrypt_io": "import pyrage,sys; r=pyrage.x25519.Recipient.from_str(sys.argv[3])\n"
    "with open(sys.argv[1],'rb') as i, open(sys.argv[2],'wb') as o: pyrage.encrypt_io(i,o,[r])",
    "pyrage decrypt_io": "import pyrage,sys; k=pyrage.x25519.Identity.from_str(sys.argv[3])\n"
    "with open(sys.argv[1],'rb') as i, open(sys.argv[2],'wb') as o: pyrage.decrypt_io(i,o,[k])",
    "agecrypt encrypt_stream": "import sys; from dpa_kit import agecrypt\n"
    "with open(sys.argv[1],'rb') as i, open(sys.argv[2],'wb') as o: "
    "agecrypt.encrypt_stream(i,o,[sys.argv[3]])",
    "agecrypt decrypt_stream": "import sys; from dpa_kit import agecrypt\n"
    "with open(sys.argv[1],'rb') as i, open(sys.argv[2],'wb') as o: "
    "agecrypt.decrypt_stream(i,o,sys.argv[3])",
}


def bench_age(work: Path, size_mb: int) -> None:
    """Peak memory of age encryption and decryption of one big file: pyrage's streaming API and ours."""
    print(f"\n== age: encrypt and decrypt one {size_mb} MB file (random 1 MB blocks, repeated) ==")
    from dpa_kit.agecrypt import generate_identity

    work.mkdir(parents=True, exist_ok=True)
    plain = work / "big.bin"
    block = os.urandom(1_000_000)
    with plain.open("wb") as handle:
        for index in range(size_mb):
            handle.write(block if index % 2 else os.urandom(1_000_000))
    identity, recipient = generate_identity()
    for label, code in _AGE_CHILD.items():
        encrypting = "encrypt" in label
        source, target = (plain, work / "big.age") if encrypting else (work / "big.age", work / "big.out")
        key = recipient if encrypting else identity
        seconds, rss = _measure([sys.executable, "-c", code, str(source), str(target), key])
        print(f"  {label:26s} {size_mb / seconds:7.1f} MB/s  peak {rss:7.1f} MiB")
        if not encrypting:
            same = target.stat().st_size == plain.stat().st_size
            print(f"  {'':26s} round trip size {'ok' if same else 'WRONG'}")
            target.unlink()
    # The whole path: a zip written into AgeWriter (worker thread and pipe), then opened through decrypt_chunks.
    exe = str(Path(sys.executable).parent / "dpa-kit")
    env = {**os.environ, "DPA_KIT_LEDGER": str(work / "none.sqlite")}
    (work / "in").mkdir()
    plain.rename(work / "in" / "big.bin")
    (work / "key.txt").write_text(f"{identity}\n", encoding="utf-8")
    archive = work / "big.zip.age"
    seconds, rss = _measure(
        [exe, "exchange", "pack", str(work / "in"), "-o", str(archive), "--recipient", recipient], env
    )
    print(f"  {'dpa-kit exchange pack -r':26s} {size_mb / seconds:7.1f} MB/s  peak {rss:7.1f} MiB")
    seconds, rss = _measure(
        [exe, "exchange", "open", str(archive), "-o", str(work / "out"), "--identity", str(work / "key.txt")], env
    )
    print(f"  {'dpa-kit exchange open -i':26s} {size_mb / seconds:7.1f} MB/s  peak {rss:7.1f} MiB")


BENCHES = {
    "annex": (bench_annex, 200),
    "check": (bench_check, 1000),
    "ledger": (bench_ledger, 100_000),
    "exchange": (bench_exchange, 300),
    "memory": (bench_memory, 2000),
    "age": (bench_age, 2048),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", choices=[*BENCHES, []], help="benchmarks to run (default: all)")
    args = parser.parse_args()
    names = args.names or list(BENCHES)
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="dpa-kit-bench-") as temp:
        for name in names:
            func, count = BENCHES[name]
            func(Path(temp) / name, count)


if __name__ == "__main__":
    main()
