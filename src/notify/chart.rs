//! The digest's small chart: 7+1 days of volume (bars) and negative share (line),
//! drawn with plotters into a PNG. No text in the image: the figures are in the alt
//! text and the caption, so no font is needed and screen readers get the numbers.

use chrono::NaiveDate;
use plotters::prelude::*;

const W: u32 = 560;
const H: u32 = 160;

/// Draws the chart; `daily` is (day, mentions, negative mentions), oldest first.
pub fn volume_and_negative(daily: &[(NaiveDate, usize, usize)]) -> anyhow::Result<Vec<u8>> {
    let mut buf = vec![0u8; (W * H * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (W, H)).into_drawing_area();
        root.fill(&WHITE)?;
        let max = daily.iter().map(|d| d.1).max().unwrap_or(0).max(1) as f64;
        let n = daily.len().max(1) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .build_cartesian_2d(0f64..n, 0f64..max * 1.1)?;
        let last = daily.len().saturating_sub(1);
        chart.draw_series(daily.iter().enumerate().map(|(i, (_, v, _))| {
            let colour = if i == last {
                RGBColor(31, 58, 95)
            } else {
                RGBColor(147, 170, 201)
            };
            Rectangle::new(
                [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, *v as f64)],
                colour.filled(),
            )
        }))?;
        // Negative share, scaled to the same height.
        let line: Vec<(f64, f64)> = daily
            .iter()
            .enumerate()
            .map(|(i, (_, v, neg))| {
                (
                    i as f64 + 0.5,
                    if *v == 0 {
                        0.0
                    } else {
                        *neg as f64 / *v as f64 * max
                    },
                )
            })
            .collect();
        chart.draw_series(LineSeries::new(
            line.clone(),
            RGBColor(185, 28, 28).stroke_width(3),
        ))?;
        chart.draw_series(
            line.into_iter()
                .map(|p| Circle::new(p, 4, RGBColor(185, 28, 28).filled())),
        )?;
        root.present()?;
    }
    let mut png = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut png, W, H);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()?.write_image_data(&buf)?;
    }
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_png() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 17).unwrap();
        let daily: Vec<_> = (0..8)
            .map(|i| (d + chrono::Duration::days(i), (i * 10) as usize, i as usize))
            .collect();
        let png = volume_and_negative(&daily).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert!(png.len() > 500);
    }
}
