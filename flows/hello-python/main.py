"""hello-python: counts to `steps`, logging as it goes; fail=true fails it after counting."""

import time

from data_flows import FlowContext, run


def main(context: FlowContext) -> None:
    steps = context.params.integer("steps")
    for step in range(1, steps + 1):
        context.logger.info(f"hello from step {step} of {steps}")
        time.sleep(0.2)
    context.metric("steps", steps)
    if context.params.boolean("fail"):
        raise RuntimeError("failing on demand (param fail=true)")


if __name__ == "__main__":
    run(main)
