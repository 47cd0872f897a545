"""The IC's blueprint: memos and conflicts (fundcrm.ic.routes), meetings, votes and decisions
(fundcrm.ic.meeting_routes) register their views on it."""

from flask import Blueprint

bp = Blueprint("ic", __name__)
