"""The investment committee (投决会): memos (this package's memos, prefill, routes)."""
