using SmbRoot.Core.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class RecordNameTests
{
    [Fact]
    public void The_name_of_the_open_file_is_kept() =>
        Assert.IsType<RecordName.Decision.Keep>(RecordName.Decide(RecordName.Named.TheFileHeld));

    /// <summary>Issue 22, point 8: a deleted record read as "no machine has held it"; the live holder writes it again.</summary>
    [Fact]
    public void A_deleted_record_is_written_again() =>
        Assert.Contains("deleted", Assert.IsType<RecordName.Decision.WriteAgain>(RecordName.Decide(RecordName.Named.NoFile)).Why);

    /// <summary>It may be another machine's claim, which the holder cannot read through the name it holds: it stops writing.</summary>
    [Fact]
    public void Another_file_at_the_name_means_the_image_is_lost() =>
        Assert.Contains("another file", Assert.IsType<RecordName.Decision.Lost>(RecordName.Decide(RecordName.Named.AnotherFile)).Why);
}
