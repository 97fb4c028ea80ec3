"""A conversation's opinion groups for everyone (/debates/conversations/<slug>/results/): in
words and tables first (each group's size, what sets it apart and how strongly, what every group
agrees on, every statement's shares), then a map of the groups drawn on the server as SVG, with
its text alternative. The figures are those a worker last worked out
(debates.conversation_results); the page says when, and asks for new ones if votes came since.
"""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from civic.pagecache import shared_page
from debates.conversation_results import group_name, results_for
from debates.models import Conversation, Statement
from debates.views_conversations import _conversation

# The map's drawing box, in SVG units: circles sit inside a margin, their area showing size.
MAP_WIDTH, MAP_HEIGHT, MAP_MARGIN = 600, 320, 70
LARGEST_RADIUS = 60


def percent(share: float) -> int:
    return round(share * 100)


def strength(difference: float) -> str:
    """How strongly a group stands apart, in words, from the gap between its share and the
    rest's (see docs/features/debates.md)."""
    if difference >= 0.5:
        return _("very strongly")
    if difference >= 0.3:
        return _("strongly")
    return _("somewhat")


def _statement_rows(figures: dict, texts: dict[int, str], groups: list[dict]) -> list[dict]:
    rows = []
    for key, shares in figures["statements"].items():
        if int(key) not in texts:
            continue  # rejected since the figures were worked out
        total = shares["agree"] + shares["disagree"] + shares["pass"]
        rows.append(
            {
                "text": texts[int(key)],
                "votes": total,
                "agree": percent(shares["agree_share"]),
                "disagree": percent(shares["disagree_share"]),
                "pass": percent(shares["pass_share"]),
                "groups": [percent(group["statements"][key]["agree_share"]) for group in groups],
            }
        )
    return rows


def _map(groups: list[dict]) -> list[dict]:
    """Each group's circle: centred where its members' votes place it (the two main directions
    in which people's votes differ), scaled to the box; area in proportion to its size."""
    if not groups:
        return []
    xs = [group["centre"][0] for group in groups]
    ys = [group["centre"][1] for group in groups]
    span_x, span_y = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1
    largest = max(group["size"] for group in groups)
    circles = []
    for group in groups:
        x, y = group["centre"]
        circles.append(
            {
                "name": group["name"],
                "size": group["size"],
                "x": round(MAP_MARGIN + (x - min(xs)) / span_x * (MAP_WIDTH - 2 * MAP_MARGIN)),
                "y": round(MAP_MARGIN + (y - min(ys)) / span_y * (MAP_HEIGHT - 2 * MAP_MARGIN)),
                "r": max(round(LARGEST_RADIUS * math.sqrt(group["size"] / largest)), 8),
            }
        )
    return circles


def results_context(conversation: Conversation) -> dict:
    result = results_for(conversation)
    figures = result.figures if result is not None else {}
    texts = dict(
        Statement.objects.filter(
            conversation=conversation, status=Statement.Status.SHOWN
        ).values_list("pk", "text")
    )
    groups = figures.get("groups", [])
    grouped = figures.get("grouped", 0)
    described = []
    for group in groups:
        described.append(
            {
                "name": group["name"],
                "size": group["size"],
                "percent": percent(group["size"] / grouped) if grouped else 0,
                "beliefs": [
                    {
                        "text": texts[item["statement"]],
                        "agrees": item["direction"] == "agree",
                        "group": percent(item["group_share"]),
                        "rest": percent(item["rest_share"]),
                        "strength": strength(item["difference"]),
                    }
                    for item in group["representative"]
                    if item["statement"] in texts
                ],
            }
        )
    consensus = [
        {
            "text": texts[item["statement"]],
            "agrees": item["direction"] == "agree",
            "least": percent(item["least_share"]),
        }
        for item in figures.get("consensus", [])
        if item["statement"] in texts
    ]
    return {
        "conversation": conversation,
        "result": result,
        "figures": figures,
        "groups": described,
        "group_names": [group_name(number) for number in range(len(groups))],
        "consensus": consensus,
        "statements": _statement_rows(figures, texts, groups) if figures else [],
        "circles": _map(groups),
        "map": {"width": MAP_WIDTH, "height": MAP_HEIGHT},
    }


@shared_page
def conversation_results(request: HttpRequest, slug: str) -> HttpResponse:
    """Four queries: the conversation (found as its page finds it: drafts only for those who run
    it), its figures, its newest vote and its shown statements."""
    conversation = _conversation(request, slug)
    return render(request, "debates/conversation_results.html", results_context(conversation))
