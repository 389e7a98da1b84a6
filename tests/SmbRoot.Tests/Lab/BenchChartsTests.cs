using System.Xml.Linq;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.Tests.Lab;

public class BenchChartsTests
{
    [Fact]
    public void TheBootChartIsAnSvgWithOneSpanPerStepOfEachBootAndTheirNames()
    {
        string path = Path.Combine(Path.GetTempPath(), $"boot-steps-{Guid.NewGuid():N}.svg");
        try
        {
            BenchCharts.BootSteps("steps", [
                new("SmbRoot", [new("kernel", 0, 1.5), new("network", 1.5, 2.0), new("root mounted", 2.0, 2.4)]),
                new("script", [new("kernel", 0, 1.4), new("network", 1.4, 6.0), new("root mounted", 6.0, 9.1)]),
            ], path);
            var svg = XDocument.Load(path);
            string text = string.Concat(svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value + "\n"));
            // OxyPlot draws an exception it met while rendering into the picture instead of throwing it.
            Assert.DoesNotContain("exception", text, StringComparison.OrdinalIgnoreCase);
            foreach (var name in new[] { "SmbRoot", "script", "kernel", "network", "root mounted" }) Assert.Contains(name, text);
            // Each span carries its length as its label: 0.5 s of network for SmbRoot, 4.6 s for the script.
            Assert.Contains("0.5", text);
            Assert.Contains("4.6", text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheStormChartHasBothLinesNamed()
    {
        string path = Path.Combine(Path.GetTempPath(), $"storm-{Guid.NewGuid():N}.svg");
        try
        {
            BenchCharts.AgainstMachines("storm", "seconds", [("all running", [(1, 20.0), (4, 31.0)]), ("mounted", [(1, 2.0), (4, 3.0)])], path);
            string text = string.Concat(XDocument.Load(path).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value + "\n"));
            Assert.DoesNotContain("exception", text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("all running", text);
            Assert.Contains("mounted", text);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
