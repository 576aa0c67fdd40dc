"""The root of the suite. What tests share lives in tests/plugins/, registered here once (pytest reads
`pytest_plugins` only from the root conftest); tests/support.py holds the helpers that are not fixtures.

- services:    the session's Postgres, Redis and app; per-test isolation; `served(app)`
- processes:   api, worker and scheduler subprocesses (`spawn`, `start_api`, `apis`, `fresh_api`)
- tasks:       a sending broker (`sender`), probe task arguments, queue checks
- storage:     the moto S3 server and both object stores (`backend`, parametrized local / s3)
- realtime:    websocket helpers, a `publisher`, a network `Link` between an api and Redis
- resumes:     uploads written as the api writes them, the object `store`, parse outcomes
- mail:        a real SMTP server (`smtp`), workers that send through it, email helpers
- ai:          users with a parsed resume (`marcus`), cover letter helpers
- fake_openai: a scripted OpenAI-compatible server on loopback (`fake_openai`)
- devserver:   `make dev` with two apis behind nginx and two workers (`devserver`)
- replicas:    an embedded primary and its streaming replica (`replicated`), apis routing to it
"""

pytest_plugins = [
    "tests.plugins.services",
    "tests.plugins.processes",
    "tests.plugins.tasks",
    "tests.plugins.storage",
    "tests.plugins.realtime",
    "tests.plugins.resumes",
    "tests.plugins.mail",
    "tests.plugins.ai",
    "tests.plugins.fake_openai",
    "tests.plugins.devserver",
    "tests.plugins.replicas",
]
