"""House rules that keep the Swift sources readable (see ../shared/STYLE.md):
line width, no `try!`, no `print(` in library modules, no force unwraps outside
tests, and no large files checked in by accident."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAXIMUM_LINE = 120
MAXIMUM_FILE_BYTES = 512 * 1024


def swift_sources():
    return sorted((ROOT / "Sources").rglob("*.swift"))


def code_of(line):
    """The line without its comment and with string literals emptied."""
    without_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line)
    return without_strings.split("//")[0]


def violations(predicate):
    found = []
    for path in swift_sources():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if predicate(path, line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:90]}")
    return found


def test_lines_fit_in_120_columns():
    assert violations(lambda _, line: len(line) > MAXIMUM_LINE) == []


def test_no_try_bang():
    assert violations(lambda _, line: "try!" in code_of(line)) == []


def test_library_modules_do_not_print():
    def prints(path, line):
        return "Sources/swiftlet/" not in str(path) and re.search(r"\bprint\(", code_of(line)) is not None

    assert violations(prints) == []


def test_no_force_unwraps_outside_tests():
    def unwraps(_, line):
        code = code_of(line)
        return re.search(r"[\w)\]]!(?!=)", code) is not None and "as!" not in code

    assert violations(unwraps) == []


def test_no_large_files_are_tracked():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    large = [name for name in tracked.splitlines()
             if (ROOT / name).is_file() and (ROOT / name).stat().st_size > MAXIMUM_FILE_BYTES]
    assert large == []


def test_the_checks_catch_what_they_claim():
    assert code_of('let x = "try!"  // try!') == 'let x = ""  '
    assert re.search(r"[\w)\]]!(?!=)", code_of("let y = value!")) is not None
    assert re.search(r"[\w)\]]!(?!=)", code_of("if a != b {")) is None
