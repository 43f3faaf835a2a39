//! Selection and scrolling for long lists. Only the visible window is ever turned into
//! widgets: a list of 100k rows costs the same frame time as one of 100.

use std::ops::Range;

/// The selected row and the first visible row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scroll {
    pub selected: usize,
    pub offset: usize,
}

impl Scroll {
    /// Selects `index` (clamped to `len`), scrolling so it is visible in `height` rows.
    pub fn select(&mut self, index: usize, len: usize, height: usize) {
        self.selected = if len == 0 { 0 } else { index.min(len - 1) };
        self.fit(len, height);
    }

    /// Moves the selection by `delta` rows.
    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        let target = self.selected.saturating_add_signed(delta);
        self.select(target, len, height);
    }

    /// Scrolls the view by `delta` rows (mouse wheel), keeping the selection inside it.
    pub fn scroll_by(&mut self, delta: isize, len: usize, height: usize) {
        let max_offset = len.saturating_sub(height);
        self.offset = self.offset.saturating_add_signed(delta).min(max_offset);
        if height > 0 {
            let last = self.offset + height - 1;
            self.selected = self.selected.clamp(self.offset, last.max(self.offset));
        }
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// Keeps the selection visible after the list or the height changed.
    pub fn fit(&mut self, len: usize, height: usize) {
        if len == 0 {
            *self = Scroll::default();
            return;
        }
        self.selected = self.selected.min(len - 1);
        if height == 0 {
            return;
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }

    /// The rows to draw.
    pub fn visible(&self, len: usize, height: usize) -> Range<usize> {
        let start = self.offset.min(len);
        start..(start + height).min(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_stays_visible() {
        let mut s = Scroll::default();
        s.move_by(15, 100, 10);
        assert_eq!(
            s,
            Scroll {
                selected: 15,
                offset: 6
            }
        );
        s.move_by(-10, 100, 10);
        assert_eq!(
            s,
            Scroll {
                selected: 5,
                offset: 5
            }
        );
        s.select(1000, 100, 10);
        assert_eq!(
            s,
            Scroll {
                selected: 99,
                offset: 90
            }
        );
        assert_eq!(s.visible(100, 10), 90..100);
        s.fit(3, 10);
        assert_eq!(
            s,
            Scroll {
                selected: 2,
                offset: 0
            }
        );
        s.fit(0, 10);
        assert_eq!(s, Scroll::default());
    }

    #[test]
    fn wheel_scrolls_the_view() {
        let mut s = Scroll::default();
        s.scroll_by(3, 100, 10);
        assert_eq!(
            s,
            Scroll {
                selected: 3,
                offset: 3
            }
        );
        s.scroll_by(1000, 100, 10);
        assert_eq!(s.offset, 90);
        assert_eq!(s.selected, 90);
        s.scroll_by(-1000, 100, 10);
        assert_eq!(
            s,
            Scroll {
                selected: 9,
                offset: 0
            }
        );
    }
}
