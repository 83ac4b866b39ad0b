"""Packaging for tap-kustomer."""
from setuptools import find_packages, setup

setup(
    name="tap-kustomer",
    version="2.0.0",
    description="Singer tap for Kustomer: lossless, resumable, rate-limit aware",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10,<3.14",
    classifiers=[
        "Programming Language :: Python :: 3 :: Only",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
    ],
    py_modules=[],
    install_requires=[
        "singer-python==6.8.0",
        "requests>=2.32.3,<3",
        "backoff==2.2.1",
        "orjson>=3.10,<4",
        # Imported directly for timestamps and date-time checks; singer-python already needs it.
        "ciso8601>=2.3.1,<3",
    ],
    extras_require={
        "test": [
            "pytest==9.2.0",
            "pylint==4.1.4",
            "hypothesis==6.170.15",
            # Reads meltano.yml in tests; singer-python pins nothing that conflicts with it.
            "PyYAML==6.0.3",
        ],
    },
    entry_points={"console_scripts": ["tap-kustomer=tap_kustomer.cli:main"]},
    packages=find_packages(exclude=["tests", "tests.*", "bench", "bench.*"]),
    package_data={"tap_kustomer": ["schemas/*.json"]},
    include_package_data=True,
)
