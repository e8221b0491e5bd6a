"""A Mermaid diagram of the menus, generated from content so it never drifts."""

from __future__ import annotations

from flows.menus import Menus


def mermaid(menus: Menus) -> str:
    lines = ["flowchart TD"]
    for name, node in menus.nodes.items():
        for index, option in enumerate(node.options, 1):
            label = option.label.replace('"', "'")
            target = option.goto or f"{name}_{option.action}(({option.action}))"
            lines.append(f'    {name} -- "{index}. {label}" --> {target}')
    return "\n".join(lines)
