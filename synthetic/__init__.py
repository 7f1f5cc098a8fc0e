"""SYNTHETIC submissions: the bundled sample (`python -m synthetic.quang_nam`) and national-scale
data (`kyluat generate`, `synthetic/generate.py`). Development tools, not part of the kyluat
package: they read the contract and the seeds from kyluat and write landing folders."""
