using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace SmbRoot.Lab;

/// <summary>
/// The bench's pictures, beside its tables: SVG files in out/bench/ (OxyPlot's own SVG writer,
/// managed code only). The boot's steps are drawn as systemd-analyze plot draws a boot: one bar
/// per boot, each step where it starts and ends on the guest's clock.
/// </summary>
public static class BenchCharts
{
    /// <summary>Where the bench writes them (the bench runs in the repository's root).</summary>
    public const string Directory = "out/bench";

    /// <summary>One step of a boot: its name and when it started and ended (s since the kernel started).</summary>
    public sealed record Step(string Name, double Start, double End);

    /// <summary>One bar of the boot chart: whose boot, and its steps in order.</summary>
    public sealed record Timeline(string Name, IReadOnlyList<Step> Steps);

    /// <summary>The boots side by side, each step a coloured span on one time axis; returns <paramref name="path"/>.</summary>
    /// <param name="axisTitle">what the time axis counts from</param>
    public static string BootSteps(string title, IReadOnlyList<Timeline> boots, string path, string axisTitle = "seconds since the kernel started (guest clock, medians)")
    {
        var model = Model(title);
        var names = new CategoryAxis { Position = AxisPosition.Left, StartPosition = 1, EndPosition = 0, Key = "boots" };
        names.Labels.AddRange(boots.Select(b => b.Name));
        model.Axes.Add(names);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = axisTitle, Minimum = 0,
            MajorGridlineStyle = LineStyle.Dot, AxisTitleDistance = 10 });
        var stepNames = boots.SelectMany(b => b.Steps.Select(s => s.Name)).Distinct().ToList();
        foreach (var stepName in stepNames)
        {
            var series = new IntervalBarSeries { Title = stepName, YAxisKey = "boots", BarWidth = 0.6, LabelFormatString = "{Title}", LabelColor = OxyColors.Black };
            for (int row = 0; row < boots.Count; row++)
            {
                if (boots[row].Steps.FirstOrDefault(s => s.Name == stepName) is { } step && step.End > step.Start)
                {
                    // The label is the step's length, as the item's title ({0} and {1} would be its start and end);
                    // a span too short to hold it has none.
                    double length = step.End - step.Start;
                    string label = length / boots.Max(b => b.Steps[^1].End) >= 0.05 ? length.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "";
                    series.Items.Add(new IntervalBarItem(step.Start, step.End, label) { CategoryIndex = row });
                }
            }
            model.Series.Add(series);
        }
        return Save(model, path, width: 1000, height: 110 + 60 * boots.Count);
    }

    /// <summary>One line per figure against the number of machines (the boot storm); returns <paramref name="path"/>.</summary>
    public static string AgainstMachines(string title, string valueTitle, IReadOnlyList<(string Name, IReadOnlyList<(int Machines, double Value)> Points)> lines, string path)
    {
        var model = Model(title);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "machines booting at once", Minimum = 0, MajorStep = 1, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = valueTitle, Minimum = 0, MajorGridlineStyle = LineStyle.Dot });
        foreach (var (name, points) in lines)
        {
            var series = new LineSeries { Title = name, MarkerType = MarkerType.Circle, MarkerSize = 4 };
            series.Points.AddRange(points.Select(p => new DataPoint(p.Machines, p.Value)));
            model.Series.Add(series);
        }
        // The lines rise to the right: the legend goes in the empty corner.
        model.Legends[0].LegendPlacement = LegendPlacement.Inside;
        model.Legends[0].LegendPosition = LegendPosition.TopLeft;
        return Save(model, path, width: 700, height: 400);
    }

    private static PlotModel Model(string title)
    {
        var model = new PlotModel
        {
            Title = title, TitleFontSize = 14, TitleHorizontalAlignment = TitleHorizontalAlignment.CenteredWithinView, DefaultFont = "Arial", Background = OxyColors.White,
            // One colour for each step, none alike (the default palette repeats its reds).
            DefaultColors = [OxyColor.FromRgb(0x4e, 0x79, 0xa7), OxyColor.FromRgb(0xf2, 0x8e, 0x2b), OxyColor.FromRgb(0x59, 0xa1, 0x4f), OxyColor.FromRgb(0xe1, 0x57, 0x59),
                OxyColor.FromRgb(0x76, 0xb7, 0xb2), OxyColor.FromRgb(0xed, 0xc9, 0x48), OxyColor.FromRgb(0xb0, 0x7a, 0xa1), OxyColor.FromRgb(0x9c, 0x75, 0x5f)],
        };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside, LegendOrientation = LegendOrientation.Vertical, LegendLineSpacing = 6 });
        return model;
    }

    private static string Save(PlotModel model, string path, int width, int height)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using (var file = File.Create(path))
        {
            // Baselines by offset, not by dominant-baseline, which some SVG renderers ignore (the title was cut off).
            new SvgExporter { Width = width, Height = height, UseVerticalTextAlignmentWorkaround = true, TextMeasurer = new GenerousTextMeasurer() }.Export(model, file);
        }
        return path;
    }

    /// <summary>
    /// Text measured as wide as common sans-serif fonts draw it: OxyPlot's own measurer for SVG takes
    /// PDF's Helvetica metrics, narrower than the font a viewer falls back to, and the legend and the
    /// names were cut off. The picture is never drawn here, only measured.
    /// </summary>
    private sealed class GenerousTextMeasurer : RenderContextBase
    {
        public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight) =>
            new(text.Length * fontSize * 0.62, fontSize * 1.25);

        public override int ClipCount => 0;
        public override void DrawLine(IList<ScreenPoint> points, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[] dashArray, LineJoin lineJoin) { }
        public override void DrawPolygon(IList<ScreenPoint> points, OxyColor fill, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode, double[] dashArray, LineJoin lineJoin) { }
        public override void DrawText(ScreenPoint p, string text, OxyColor fill, string fontFamily, double fontSize, double fontWeight, double rotation, HorizontalAlignment halign, VerticalAlignment valign, OxySize? maxSize) { }
        public override void PopClip() { }
        public override void PushClip(OxyRect clippingRectangle) { }
    }
}
