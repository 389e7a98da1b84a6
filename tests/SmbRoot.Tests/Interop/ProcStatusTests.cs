using SmbRoot.Core.Kernel;
using Xunit;

namespace SmbRoot.Tests.Interop;

public class ProcStatusTests
{
    private const string Status = "Name:\tsmbroot\nState:\tS (sleeping)\nVmPeak:\t  270000 kB\nVmRSS:\t   12345 kB\nThreads:\t4\n";

    [Fact]
    public void Reads_a_size_in_KiB() => Assert.Equal(12345, ProcStatus.Kib(Status, "VmRSS"));

    [Theory]
    [InlineData("VmSwap")]
    [InlineData("Threads")]
    [InlineData("Vm")]
    public void A_missing_key_or_a_value_that_is_not_kB_is_null(string key) => Assert.Null(ProcStatus.Kib(Status, key));
}
