// The profile summary (busy time per lane, overlap) and the SVG timeline.
#include "pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <utility>

namespace pipeline {
namespace {

using Interval = std::pair<int64_t, int64_t>;

// Sorted, disjoint intervals covering the same time as spans.
std::vector<Interval> merged(std::vector<Interval> spans) {
    std::sort(spans.begin(), spans.end());
    std::vector<Interval> out;
    for (const Interval &s : spans) {
        if (s.second <= s.first)
            continue;
        if (!out.empty() && s.first <= out.back().second)
            out.back().second = std::max(out.back().second, s.second);
        else
            out.push_back(s);
    }
    return out;
}

// The time a lane was busy, clipped to [0, wall].
std::vector<Interval> busy_intervals(const Trace &trace, int lane) {
    std::vector<Interval> spans;
    for (const Box &b : trace.boxes)
        if (b.lane == lane)
            spans.emplace_back(std::max<int64_t>(b.start, 0), std::min(b.end, trace.wall_ns));
    return merged(std::move(spans));
}

int64_t total(const std::vector<Interval> &spans) {
    int64_t sum = 0;
    for (const Interval &s : spans)
        sum += s.second - s.first;
    return sum;
}

// Time during which at least `least` of the given lanes were busy.
int64_t time_with_at_least(const std::vector<std::vector<Interval>> &lanes, int least) {
    std::vector<std::pair<int64_t, int>> edges;
    for (const auto &lane : lanes)
        for (const Interval &s : lane) {
            edges.emplace_back(s.first, +1);
            edges.emplace_back(s.second, -1);
        }
    std::sort(edges.begin(), edges.end());
    int64_t sum = 0, last = 0;
    int active = 0;
    for (const auto &[t, delta] : edges) {
        if (active >= least)
            sum += t - last;
        active += delta;
        last = t;
    }
    return sum;
}

std::string xml_escape(const std::string &s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

// A colour per chunk: hues a golden angle apart, so neighbours differ.
std::string chunk_colour(long chunk) {
    double h = std::fmod(static_cast<double>(chunk) * 137.508, 360.0) / 60.0;
    const double s = 0.62, l = 0.55;
    double c = (1 - std::fabs(2 * l - 1)) * s;
    double x = c * (1 - std::fabs(std::fmod(h, 2.0) - 1));
    double r = 0, g = 0, b = 0;
    switch (static_cast<int>(h)) {
    case 0:
        r = c, g = x;
        break;
    case 1:
        r = x, g = c;
        break;
    case 2:
        g = c, b = x;
        break;
    case 3:
        g = x, b = c;
        break;
    case 4:
        r = x, b = c;
        break;
    default:
        r = c, b = x;
    }
    double m = l - c / 2;
    char out[8];
    std::snprintf(out, sizeof out, "#%02x%02x%02x", static_cast<int>((r + m) * 255 + 0.5),
                  static_cast<int>((g + m) * 255 + 0.5), static_cast<int>((b + m) * 255 + 0.5));
    return out;
}

// A round tick step giving about `target` ticks over span milliseconds.
double tick_step_ms(double span_ms, int target) {
    double raw = span_ms / target;
    double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (raw <= m * p)
            return m * p;
    return 10 * p;
}

} // namespace

void print_profile(std::FILE *out, const Trace &trace) {
    const char *mode = mode_name(trace.mode);
    const double wall = static_cast<double>(trace.wall_ns);
    std::vector<std::vector<Interval>> queues;
    std::vector<Interval> host;
    for (size_t lane = 0; lane < trace.lanes.size(); ++lane) {
        std::vector<Interval> busy = busy_intervals(trace, static_cast<int>(lane));
        size_t boxes = 0;
        for (const Box &b : trace.boxes)
            boxes += b.lane == static_cast<int>(lane);
        std::fprintf(out, "profile mode=%s lane=%s boxes=%zu busy_ms=%.3f busy_pct=%.1f\n", mode,
                     trace.lanes[lane].c_str(), boxes, total(busy) / 1e6,
                     100.0 * total(busy) / wall);
        (lane == 0 ? host : queues.emplace_back()) = std::move(busy);
    }
    // Overlap: time with two or more queues busy at once, and time with the
    // host and at least one queue busy at once.
    int64_t queues_overlap = time_with_at_least(queues, 2);
    std::vector<Interval> device;
    for (const auto &q : queues)
        device.insert(device.end(), q.begin(), q.end());
    device = merged(std::move(device));
    int64_t host_device = time_with_at_least({host, device}, 2);
    std::fprintf(out,
                 "profile mode=%s overlap queues_ms=%.3f queues_pct=%.1f host_device_ms=%.3f "
                 "host_device_pct=%.1f device_busy_pct=%.1f\n",
                 mode, queues_overlap / 1e6, 100.0 * queues_overlap / wall, host_device / 1e6,
                 100.0 * host_device / wall, 100.0 * total(device) / wall);
}

void write_timeline(const std::string &path, const std::vector<Trace> &traces) {
    const int left = 90, right = 20, plot = 1000, lane_h = 22, gap = 3, title_h = 24, axis_h = 30,
              panel_gap = 16, top = 40;
    int64_t span = 1;
    for (const Trace &t : traces)
        span = std::max(span, t.wall_ns);
    const double span_ms = span / 1e6;
    const double px_per_ns = plot / static_cast<double>(span);
    const double step = tick_step_ms(span_ms, 10);

    int height = top;
    for (const Trace &t : traces)
        height += title_h + static_cast<int>(t.lanes.size()) * (lane_h + gap) + axis_h + panel_gap;
    const int width = left + plot + right;

    std::ostringstream svg;
    svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
        << "\" viewBox=\"0 0 " << width << ' ' << height
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<title>ordo-pipeline timeline</title>\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        << "<text x=\"" << left << "\" y=\"18\" font-size=\"14\" font-weight=\"bold\">"
        << "pipeline-v1 timeline: one lane per queue plus the host, one box per command or host "
           "step, coloured by chunk</text>\n"
        << "<text x=\"" << left << "\" y=\"33\" fill=\"#555555\">host lane: fill (full height) "
        << "and check (lower half); hover a box for its chunk and times</text>\n";

    int y = top;
    for (const Trace &t : traces) {
        svg << "<g class=\"panel\" data-mode=\"" << mode_name(t.mode) << "\">\n";
        svg << "<text x=\"" << left << "\" y=\"" << y + 16 << "\" font-weight=\"bold\">"
            << xml_escape(t.title) << "</text>\n";
        y += title_h;
        const int lanes_top = y;
        for (size_t lane = 0; lane < t.lanes.size(); ++lane) {
            int ly = lanes_top + static_cast<int>(lane) * (lane_h + gap);
            svg << "<text x=\"" << left - 8 << "\" y=\"" << ly + lane_h / 2 + 4
                << "\" text-anchor=\"end\">" << xml_escape(t.lanes[lane]) << "</text>\n"
                << "<rect x=\"" << left << "\" y=\"" << ly << "\" width=\"" << plot
                << "\" height=\"" << lane_h << "\" fill=\"#f2f2f2\"/>\n";
        }
        for (const Box &b : t.boxes) {
            int ly = lanes_top + b.lane * (lane_h + gap);
            bool lower = b.step == Step::check;
            double x = left + std::max<int64_t>(b.start, 0) * px_per_ns;
            double w = std::max(0.6, (b.end - std::max<int64_t>(b.start, 0)) * px_per_ns);
            char title[160];
            std::snprintf(title, sizeof title, "chunk %ld %s: %.3f to %.3f ms (%.1f us)", b.chunk,
                          step_name(b.step), b.start / 1e6, b.end / 1e6, (b.end - b.start) / 1e3);
            char geometry[120];
            std::snprintf(geometry, sizeof geometry,
                          "x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\"", x,
                          lower ? ly + lane_h / 2 : ly, w, lower ? lane_h / 2 : lane_h);
            svg << "<rect " << geometry << " fill=\"" << chunk_colour(b.chunk)
                << "\" stroke=\"#333333\" stroke-width=\"0.3\"><title>" << title
                << "</title></rect>\n";
        }
        y = lanes_top + static_cast<int>(t.lanes.size()) * (lane_h + gap);
        // Time axis, the same scale in every panel.
        svg << "<line x1=\"" << left << "\" y1=\"" << y << "\" x2=\"" << left + plot << "\" y2=\""
            << y << "\" stroke=\"#000000\"/>\n";
        for (double ms = 0; ms <= span_ms + 1e-9; ms += step) {
            double x = left + ms * 1e6 * px_per_ns;
            char label[32];
            std::snprintf(label, sizeof label, "%g ms", ms);
            svg << "<line x1=\"" << x << "\" y1=\"" << y << "\" x2=\"" << x << "\" y2=\"" << y + 5
                << "\" stroke=\"#000000\"/><text x=\"" << x << "\" y=\"" << y + 17
                << "\" text-anchor=\"middle\" font-size=\"10\">" << label << "</text>\n";
        }
        y += axis_h + panel_gap;
        svg << "</g>\n";
    }
    svg << "</svg>\n";

    std::ofstream file(path, std::ios::binary);
    file << svg.str();
    file.close();
    if (!file)
        throw std::runtime_error("cannot write the timeline to " + path);
}

} // namespace pipeline
