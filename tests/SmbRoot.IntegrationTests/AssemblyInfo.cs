using Xunit;

// QEMU in TCG is CPU-bound: boots from different collections must not run at the same time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
