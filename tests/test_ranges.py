"""The range grammar, table-driven: what each right-hand side expands to, and what it rejects."""

import pytest

from ksweep.plan.ranges import parse_range_text, parse_value, strip_comment

VALID = [
    # (text, expected values)
    ("0.999", ["0.999"]),
    ("y|n", ["y", "n"]),
    ("7800|11700|15600", ["7800", "11700", "15600"]),
    (" 0.85 | 0.87 |0.89 ", ["0.85", "0.87", "0.89"]),
    ('"state"|"movement"', ["state", "movement"]),
    ('"a|b"|c', ["a|b", "c"]),
    ('"x:y:z"', ["x:y:z"]),
    ("0.03:0.02:0.09", ["0.03", "0.05", "0.07", "0.09"]),
    ("0.001:0.001:0.005", ["0.001", "0.002", "0.003", "0.004", "0.005"]),
    ("1.5:0.1:2.0", ["1.5", "1.6", "1.7", "1.8", "1.9", "2.0"]),
    ("1:1:5", ["1", "2", "3", "4", "5"]),
    ("10:-5:0", ["10", "5", "0"]),
    ("0:0.3:1", ["0.0", "0.3", "0.6", "0.9"]),
    ("3:1:3", ["3"]),
    ("1e-4:1e-4:3e-4", ["0.0001", "0.0002", "0.0003"]),
    ("1e-4:*10:1e-1", ["0.0001", "0.001", "0.01", "0.1"]),
    ("100:*0.1:1", ["100", "10", "1"]),
    ("1|4:2:8", ["1", "4", "6", "8"]),
    ("C:dir", ["C:dir"]),
]


@pytest.mark.parametrize("text, expected", VALID)
def test_valid_values(text, expected):
    values, problems = parse_value(text)
    assert problems == []
    assert [v.text for v in values] == expected


INVALID = [
    # (text, fragment of the message)
    (
        "0.5:0.1:0.1",
        "is empty (a positive step cannot reach 0.1 from 0.5); did you mean 0.1:0.1:0.5?",
    ),
    ("0.1:-0.1:0.5", "is empty (a negative step cannot reach 0.5 from 0.1)"),
    ("1:0:3", "has a step of 0"),
    ("a:1:3", "its start 'a' is not a number; quote the value if it is text"),
    ("1:x:3", "its step 'x' is not a number"),
    ("1:*1:3", "a geometric factor must be positive and not 1"),
    ("0:*10:1", "needs positive start and end"),
    ("1:1:100000", "more than the 10000 allowed"),
    ("a||b", "has an empty choice"),
    ('"open', "unterminated string"),
    ("", "the value is empty"),
]


@pytest.mark.parametrize("text, fragment", INVALID)
def test_invalid_values(text, fragment):
    _, problems = parse_value(text)
    assert any(fragment in p for p in problems), problems


@pytest.mark.parametrize(
    "line, expected",
    [
        ("CONFIG_X=1 # comment", "CONFIG_X=1 "),
        ('CONFIG_X="a#b" # c', 'CONFIG_X="a#b" '),
        ('CONFIG_X="a\\"#b"', 'CONFIG_X="a\\"#b"'),
        ("CONFIG_X=7800|11700  # Epoch 20 or 30", "CONFIG_X=7800|11700  "),
    ],
)
def test_comments_outside_quotes(line, expected):
    assert strip_comment(line) == expected


def test_file_level_parsing_collects_every_problem_with_its_line():
    text = "\n".join(
        [
            "# a comment",
            "",
            "CONFIG_A=1|2",
            "# CONFIG_B is not set",
            "garbage line",
            "CONFIG_A=3",
            "CONFIG_C=0.5:0.1:0.1",
            "CONFIG_D=1|1",
            "CONFIG_E=0.1:0.1:0.3  # trailing comment",
        ]
    )
    spec, diagnostics = parse_range_text(text, "f-range")
    messages = [str(d) for d in diagnostics.errors]
    assert messages[0].startswith("f-range:5: error: expected CONFIG_NAME=value")
    assert messages[1].startswith("f-range:6: error: CONFIG_A is given again (first at line 3)")
    assert messages[2].startswith("f-range:7: error: CONFIG_C: 0.5:0.1:0.1 is empty")
    assert messages[3].startswith("f-range:8: error: CONFIG_D: 1 appears more than once")
    assert len(messages) == 4
    assert [(e.name, [v.text for v in e.values]) for e in spec.entries] == [
        ("A", ["1", "2"]),
        ("B", ["n"]),
        ("E", ["0.1", "0.2", "0.3"]),
    ]


def test_base_directive_and_unknown_directive():
    spec, diagnostics = parse_range_text(
        "# ksweep: base=quickstart\n# ksweep: seed=3\nCONFIG_A=1\n", "r"
    )
    assert spec.base == "quickstart"
    assert [str(d) for d in diagnostics.errors] == [
        "r:2: error: unknown directive 'seed'; the only one is base=FILE"
    ]
