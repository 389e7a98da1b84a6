using SmbRoot.Core.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class RecordNameTests
{
    private const string Mine = "6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e";

    [Fact]
    public void The_name_of_the_open_file_is_kept() =>
        Assert.IsType<RecordName.Decision.Keep>(RecordName.Decide(true, new HolderRecord.Reading.Empty(), Mine));

    /// <summary>Issue 22, point 8: a deleted record read as "no machine has held it"; the live holder writes it again.</summary>
    [Fact]
    public void A_deleted_or_emptied_record_is_written_again()
    {
        Assert.Contains("deleted or emptied", Assert.IsType<RecordName.Decision.WriteAgain>(RecordName.Decide(false, new HolderRecord.Reading.Empty(), Mine)).Why);
        Assert.IsType<RecordName.Decision.WriteAgain>(RecordName.Decide(false, new HolderRecord.Reading.Unreadable("not text"), Mine));
        Assert.IsType<RecordName.Decision.WriteAgain>(RecordName.Decide(false, new HolderRecord.Reading.Valid(HolderRecordTests.Sample), Mine));
        Assert.IsType<RecordName.Decision.WriteAgain>(RecordName.Decide(false, new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { BootId = "other", Released = true }), Mine));
    }

    [Fact]
    public void Another_boot_s_claim_at_the_name_means_the_image_is_lost() =>
        Assert.Contains("guest1", Assert.IsType<RecordName.Decision.Lost>(
            RecordName.Decide(false, new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { BootId = "other" }), Mine)).Why);
}
