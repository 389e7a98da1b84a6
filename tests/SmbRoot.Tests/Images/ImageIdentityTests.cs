using SmbRoot.Core.Images;
using Xunit;

namespace SmbRoot.Tests.Images;

public class ImageIdentityTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly ImageIdentity Booted = new(4711, 64 << 20, Monday);

    [Fact]
    public void The_same_file_is_no_change() => Assert.Null(Booted.ChangedIn(Booted with { }));

    [Fact]
    public void Another_file_under_the_same_name_is_named()
    {
        var replaced = new ImageIdentity(4800, 80 << 20, Monday.AddDays(1));
        Assert.Equal("file id 4711 is now 4800, size 67108864 bytes is now 83886080, modified 2026-11-23 08:00:00Z, now 2026-11-24 08:00:00Z",
            Booted.ChangedIn(replaced));
    }

    [Fact]
    public void Any_one_change_is_a_change()
    {
        Assert.Equal("modified 2026-11-23 08:00:00Z, now 2026-11-23 08:05:00Z", Booted.ChangedIn(Booted with { Modified = Monday.AddMinutes(5) }));
        Assert.Equal("file id 4711 is now 1", Booted.ChangedIn(Booted with { FileId = 1 }));
        Assert.Equal("modified 2026-11-23 08:00:00Z, now 2026-11-23 08:00:00.2500000Z", Booted.ChangedIn(Booted with { Modified = Monday.AddMilliseconds(250) }));
        Assert.Equal("size 67108864 bytes is now 1", Booted.ChangedIn(Booted with { Size = 1 }));
    }

    /// <summary>Anyone who can set the image's time on the server can set it past the year 9999; the watch in PID 1 must not throw on it.</summary>
    [Theory]
    [InlineData(long.MaxValue, 999_999_999u)]
    [InlineData(253402300800L, 0u)]
    [InlineData(long.MinValue, 0u)]
    [InlineData(0L, uint.MaxValue)]
    public void A_time_out_of_range_is_held_to_its_bound(long seconds, uint nanoseconds)
    {
        var time = ImageIdentity.FromUnixTime(seconds, nanoseconds);
        Assert.Equal(time, ImageIdentity.FromUnixTime(seconds, nanoseconds));
        Assert.Equal(Monday, ImageIdentity.FromUnixTime(Monday.ToUnixTimeSeconds(), 0));
    }
}
