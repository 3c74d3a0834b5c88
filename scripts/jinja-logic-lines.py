#!/usr/bin/env python3
"""Count the lines of Jinja logic in the role's tasks and vars and in the playbooks.

Counted: the source lines of every value under `set_fact` or `vars:` (a play's, a block's or a
task's) and of every value in a vars file, when the value holds a Jinja expression ({{ or {%).
Templates are not counted: Jinja there is presentation. Prints one line per file and the total.

    scripts/jinja-logic-lines.py            # the repository this script is in
    scripts/jinja-logic-lines.py DIR        # another checkout
"""

import pathlib
import sys

import yaml

SET_FACT = {"set_fact", "ansible.builtin.set_fact", "ansible.legacy.set_fact"}


def _span(node, lines):
    """The non-blank source lines a value node covers."""
    first, last = node.start_mark.line, node.end_mark.line
    if node.end_mark.column == 0 and last > first:
        last -= 1
    return sum(1 for text in lines[first:last + 1] if text.strip())


def _jinja_values(node, lines):
    """Lines of every scalar with Jinja under node (a mapping of names to values)."""
    count = 0
    if isinstance(node, yaml.ScalarNode):
        return _span(node, lines) if ("{{" in node.value or "{%" in node.value) else 0
    children = node.value if isinstance(node, yaml.SequenceNode) else [v for _, v in node.value]
    for child in children:
        count += _jinja_values(child, lines)
    return count


def _walk(node, lines):
    """Set_fact and vars values anywhere in a tasks file or playbook."""
    count = 0
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            count += _walk(item, lines)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = getattr(key, "value", None)
            if name in SET_FACT or name == "vars":
                count += _jinja_values(value, lines)
            elif isinstance(value, (yaml.SequenceNode, yaml.MappingNode)):
                count += _walk(value, lines)
    return count


def count_file(path, whole_file):
    text = path.read_text()
    node = yaml.compose(text)
    if node is None:
        return 0
    lines = text.splitlines()
    return _jinja_values(node, lines) if whole_file else _walk(node, lines)


def main(root):
    root = pathlib.Path(root)
    role = root / "roles" / "litellm_copilot"
    files = [(p, False) for p in sorted((role / "tasks").glob("*.yml"))]
    files += [(p, True) for p in sorted((role / "vars").glob("*.yml"))]
    files += [(p, False) for p in sorted((root / "playbooks").rglob("*.yml"))]
    files += [(p, False) for p in sorted(root.glob("*.yml"))]
    total = 0
    for path, whole in files:
        count = count_file(path, whole)
        total += count
        if count:
            print(f"{count:5d}  {path.relative_to(root)}")
    print(f"{total:5d}  total")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
