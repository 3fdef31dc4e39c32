"""The Python example of README.md runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    solution = namespace["solution"]
    from references import lucas_pd

    assert abs(float(solution.dataset.pd.mean()) / lucas_pd(gamma=4.0) - 1) < 1e-5
    assert (tmp_path / "lucas_gamma4.nc").exists()
