"""Serve the app with its heavy parts loaded before the first visit: ``python -m ui.serve [streamlit options]``.

``streamlit run app.py`` starts listening at once and imports torch, loads the zoo and the test pairs
when the first page is opened, so the first visitor waits for all of it (3-5 s here). This launcher
does that work first, in the server's own process (so Streamlit's ``cache_resource`` already holds the
default task's models and test pairs), and then hands over to ``streamlit run app.py`` with the options
given. The server answers its health check only once it is warm. Other tasks still load on their first
use. ``streamlit run app.py`` keeps working, without the warm start.
"""

import logging
import sys
import time


def preload() -> float:
    """Import the app's modules and load the default task's zoo, test pairs and stored answers; seconds taken."""
    started = time.perf_counter()
    import ui.boot  # noqa: F401  (every module, torch included)
    from fusion_core.device import configure_threads
    from fusion_core.tasks import list_tasks
    from ui.resources import load_zoo, test_answers, test_set
    from ui.state import default_device

    # Outside a page, Streamlit warns that there is no runtime yet for its caches; nothing is wrong.
    quiet = [logging.getLogger(f"streamlit.runtime.{name}") for name in ("caching.cache_data_api", "scriptrunner_utils.script_run_context")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        configure_threads()
        task, device = list_tasks()[0], default_device()
        load_zoo(task, device)
        test_set(task).batch
        test_answers(task, device)
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)
    return time.perf_counter() - started


def main() -> int:
    seconds = preload()
    print(f"FusionLab: models and test pairs loaded in {seconds:.1f} s; starting the server", flush=True)
    from streamlit.web import cli

    from ui.state import APP_SCRIPT

    sys.argv = ["streamlit", "run", str(APP_SCRIPT), *sys.argv[1:]]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
