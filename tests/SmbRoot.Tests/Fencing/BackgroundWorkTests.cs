using SmbRoot.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class BackgroundWorkTests
{
    /// <summary>An exception that leaves a thread of PID 1 would end it, and the kernel would panic.</summary>
    [Fact]
    public void What_escapes_the_work_is_reported_and_the_work_starts_again()
    {
        var log = new WrittenLog();
        int runs = 0;
        BackgroundWork.Contain("image watch", log, () =>
        {
            if (++runs < 3) throw new ArgumentOutOfRangeException("seconds", "past the year 9999");
        }, TimeSpan.Zero);
        Assert.Equal(3, runs);
        Assert.Equal(2, log.Written.Count);
        Assert.StartsWith("image watch: unexpected ArgumentOutOfRangeException: past the year 9999", log.Written[0]);
    }
}
