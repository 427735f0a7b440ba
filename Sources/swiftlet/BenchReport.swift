import Foundation

/// One measured figure of a benchmark run: its samples in milliseconds, in the order taken.
struct BenchFigure {
    var label: String
    var samples: [Double]

    var sorted: [Double] { samples.sorted() }

    func percentile(_ fraction: Double) -> Double {
        let sorted = sorted
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
    }

    var mean: Double { samples.isEmpty ? 0 : samples.reduce(0, +) / Double(samples.count) }
}

/// What `swiftlet bench` prints, and writes for people and tools: a JSON document with every
/// sample, and an SVG plot of the latency distributions.
struct BenchReport {
    var figures: [BenchFigure] = []
    /// Single-number results (invokes per second and the like), in the order measured.
    var rates: [(label: String, value: Double)] = []

    func printTable() {
        print("figure                                            p50 ms    p99 ms    mean ms   n")
        for figure in figures where !figure.samples.isEmpty {
            print(Self.row(figure, labelWidth: 48))
        }
        for rate in rates {
            print(String(format: "%@: %.0f", rate.label, rate.value))
        }
    }

    /// One table row: the label, p50, p99, mean and count.
    static func row(_ figure: BenchFigure, labelWidth: Int) -> String {
        let padded = figure.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0)
        return String(
            format: "%@  %8.3f  %8.3f  %8.3f  %d", padded, figure.percentile(0.5), figure.percentile(0.99), figure.mean,
            figure.samples.count)
    }

    func writeJSON(to path: String) throws {
        let document: [String: Any] = [
            "figures": figures.map { figure in
                [
                    "label": figure.label, "p50Milliseconds": figure.percentile(0.5),
                    "p99Milliseconds": figure.percentile(0.99), "meanMilliseconds": figure.mean,
                    "count": figure.samples.count, "samplesMilliseconds": figure.samples,
                ] as [String: Any]
            },
            "rates": rates.map { ["label": $0.label, "value": $0.value] as [String: Any] },
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Cumulative distributions on a logarithmic latency axis, one line per figure: the
    /// further left a line rises, the faster; the floor and the naive baseline frame the rest.
    func writeSVG(to path: String) throws {
        let width = 960.0
        let height = 420.0
        let left = 60.0
        let right = 340.0
        let top = 20.0
        let bottom = 50.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        // 0.01 ms to 1,000 ms.
        let lowestDecade = -2.0
        let highestDecade = 3.0
        let decades = stride(from: lowestDecade, through: highestDecade, by: 1)
        func x(_ milliseconds: Double) -> Double {
            let clamped = min(max(milliseconds, 0.01), 1000)
            return left + (log10(clamped) - lowestDecade) / (highestDecade - lowestDecade) * plotWidth
        }
        func y(_ fraction: Double) -> Double { top + (1 - fraction) * plotHeight }
        let colours = ["#444444", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#d62728", "#8c564b", "#17becf"]

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>

            """
        for decade in decades {
            let position = x(pow(10, decade))
            let label = decade < 0 ? String(pow(10, decade)) : String(Int(pow(10, decade)))
            svg += Self.line(from: (position, top), to: (position, top + plotHeight), colour: "#dddddd", width: 1)
            svg += Self.text(label, at: (position, top + plotHeight + 16), anchor: "middle")
        }
        for fraction in [0.0, 0.5, 0.99, 1.0] {
            svg += Self.line(
                from: (left, y(fraction)), to: (left + plotWidth, y(fraction)), colour: "#dddddd", width: 1)
            svg += Self.text(String(fraction), at: (left - 6, y(fraction) + 4), anchor: "end")
        }
        svg += Self.text(
            "latency, milliseconds (log scale)", at: (left + plotWidth / 2, height - 12), anchor: "middle")
        let middle = Self.number(top + plotHeight / 2)
        svg += "<text x=\"14\" y=\"\(middle)\" transform=\"rotate(-90 14 \(middle))\" text-anchor=\"middle\">"
        svg += "fraction of requests at or below</text>\n"
        for (index, figure) in figures.enumerated() where !figure.samples.isEmpty {
            let colour = colours[index % colours.count]
            let sorted = figure.sorted
            // At most about 500 points a line (every k-th rank, and the last): the curve looks
            // the same and the file stays small enough to keep in the repository.
            let step = max(1, sorted.count / 500)
            let ranks = Array(stride(from: 0, to: sorted.count, by: step)) + [sorted.count - 1]
            let points = ranks.map { rank in
                Self.number(x(sorted[rank])) + "," + Self.number(y(Double(rank + 1) / Double(sorted.count)))
            }
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" "
            svg += "points=\"\(points.joined(separator: " "))\"/>\n"
            let legendY = top + 14 + Double(index) * 18
            let legendX = width - right + 12
            svg += Self.line(from: (legendX, legendY - 4), to: (legendX + 20, legendY - 4), colour: colour, width: 2)
            svg += Self.text(figure.label, at: (legendX + 26, legendY), anchor: "start")
        }
        svg += "</svg>\n"
        try svg.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private static func number(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    private static func line(
        from start: (Double, Double), to end: (Double, Double), colour: String, width: Int
    ) -> String {
        "<line x1=\"\(number(start.0))\" y1=\"\(number(start.1))\" x2=\"\(number(end.0))\" "
            + "y2=\"\(number(end.1))\" stroke=\"\(colour)\" stroke-width=\"\(width)\"/>\n"
    }

    private static func text(_ content: String, at point: (Double, Double), anchor: String) -> String {
        "<text x=\"\(number(point.0))\" y=\"\(number(point.1))\" text-anchor=\"\(anchor)\">"
            + "\(escaped(content))</text>\n"
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    }
}
