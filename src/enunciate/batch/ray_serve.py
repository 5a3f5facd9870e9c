"""`enunciate serve --ray --replicas N`: the same FastAPI app as `enunciate serve`, as the ingress of a
Ray Serve deployment of N replicas behind Ray's HTTP proxy.

Each replica builds its own app (`create_app`) when it starts, so its voices, worker threads and
capacity limits are its own, exactly as one `enunciate serve` process; Ray spreads requests over
the replicas and restarts one that dies. Ray is imported only here and in `ray_executor`.
"""
from __future__ import annotations

import logging
import time

from ..errors import EnunciateError

log = logging.getLogger(__name__)
APP_NAME = "enunciate"


class EnunciateReplica:
    """One replica: the app is built on the replica (never pickled: it holds locks and a thread pool)."""

    def __init__(self, config):
        self.config = config

    def __serve_build_asgi_app__(self):
        from ..serve.app import create_app

        return create_app(self.config)


def application(config, replicas: int = 2, num_cpus: float = 1):
    """The bound Serve application (for `serve.run`, or a Serve config file's import path)."""
    from ray import serve

    if replicas < 1:
        raise EnunciateError(f"replicas must be at least 1, got {replicas}")
    ingress = serve.ingress()(EnunciateReplica)
    deployment = serve.deployment(ingress, name="EnunciateServer", num_replicas=replicas,
                                  ray_actor_options={"num_cpus": num_cpus})
    return deployment.bind(config)


def serve_on_ray(config, replicas: int = 2, host: str = "127.0.0.1", port: int = 8880,
                 address: str | None = None, num_cpus: float = 1, blocking: bool = True) -> str:
    """Deploy `config` (a serve.app.ServeConfig) on Ray Serve and return its base URL; with `blocking`,
    serve until Ctrl-C, then take the deployment (and a Ray this call started) down."""
    try:
        import ray
        from ray import serve
    except ImportError as e:
        raise EnunciateError("serve --ray needs Ray Serve: pip install 'enunciate[ray]'") from e
    from .ray_executor import connect

    started = connect(address)
    try:
        serve.start(http_options={"host": host, "port": port})
        serve.run(application(config, replicas, num_cpus), name=APP_NAME, route_prefix="/", blocking=False)
    except BaseException:
        if started:
            ray.shutdown()
        raise
    url = f"http://{host}:{port}"
    log.info("enunciate on Ray Serve: %d replica(s) at %s", replicas, url)
    if not blocking:
        return url
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        serve.shutdown()
        if started:
            ray.shutdown()
    return url


def serve_forever(config, replicas: int = 2, host: str = "127.0.0.1", port: int = 8880,
                  address: str | None = None) -> int:
    """For `enunciate serve --ray`: `config` is a ServeConfig or the keywords `enunciate serve` builds
    one from; serves until Ctrl-C, then returns the exit status."""
    if isinstance(config, dict):
        try:
            from ..serve.app import ServeConfig
        except ImportError as e:
            raise EnunciateError("enunciate serve needs its extra: pip install 'enunciate[ray]'") from e
        config = ServeConfig(**config)
    print(f"enunciate: {replicas} replica(s) on Ray Serve at http://{host}:{port} (Ctrl-C stops them)")
    serve_on_ray(config, replicas, host, port, address=address, blocking=True)
    return 0
