"""Two programs update one record from the same version at the same moment: the database's
version check lets exactly one through, the other gets 409 with the record as the first left it."""

import threading

from tests.api_fixtures import ApiClient
from tests.test_api_foundation import COMPANY


def patch_all_at_once(clients: list[ApiClient], path: str, bodies: list[dict]) -> list:
    barrier = threading.Barrier(len(clients))
    answers, failures = [None] * len(clients), []

    def run(index):
        try:
            barrier.wait(timeout=60)
            answers[index] = clients[index].patch(path, json=bodies[index])
        except Exception as error:  # surfaced below: a thread's exception would be lost
            barrier.abort()
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return answers


def test_two_updates_of_one_company_version_keep_one_and_refuse_the_other(app, api_as):
    first, _user = api_as("manager")
    second = ApiClient(app.test_client(), first.secret)
    company = first.post("/companies", json=COMPANY).json
    bodies = [{"version": 1, "headcount": 120}, {"version": 1, "headcount": 340}]
    answers = patch_all_at_once([first, second], f"/companies/{company['id']}", bodies)
    assert sorted(a.status_code for a in answers) == [200, 409]
    kept = next(a for a in answers if a.status_code == 200).json
    refused = next(a for a in answers if a.status_code == 409).json["error"]
    assert refused["current"]["headcount"] == kept["headcount"]
    assert refused["current"]["version"] == kept["version"] == 2
    assert first.get(f"/companies/{company['id']}").json["headcount"] == kept["headcount"]


def test_two_updates_of_one_task_version_keep_one_and_refuse_the_other(app, api_as):
    first, user_id = api_as("manager")
    second = ApiClient(app.test_client(), first.secret)
    task = first.post("/tasks", json={"title": "约访 CEO"}).json
    bodies = [{"version": task["version"], "title": t} for t in ("约访 CTO", "约访 CFO")]
    answers = patch_all_at_once([first, second], f"/tasks/{task['id']}", bodies)
    assert sorted(a.status_code for a in answers) == [200, 409]
    kept = next(a for a in answers if a.status_code == 200).json
    assert first.get(f"/tasks/{task['id']}").json["title"] == kept["title"]
