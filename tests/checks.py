"""What the Python ctest scripts share: check() counts a failure, prints it
and lets the script go on; printable() tells whether a program's stderr is
text a terminal shows as it is.

    sys.path.insert(0, TESTS_DIR); import checks; from checks import check
    ...
    sys.exit("%d failures" % checks.failures) if checks.failures else ...
"""

failures = 0


def check(cond, msg):
    """Counts and prints a failure when cond is false; returns cond."""
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + msg)
    return cond


def printable(data):
    """stderr bytes a terminal shows as text: printable ASCII and newlines."""
    return all(0x20 <= b <= 0x7E or b == 0x0A for b in data)
