//! How a compiled form is laid out on the phone: its pages (each top-level group or repeat is a page; the
//! questions outside groups between them share one), each question's nesting depth inside its page and the
//! labels of its choices. Built once per form version and kept with the compiled form: the model of a page is
//! then a walk over a range of questions.

use std::collections::HashMap;

use linkage_protocol::forms::{CompiledForm, LocalText, Question, QuestionKind as Kind};

/// One page of a form: the questions `start..end` (document order; a group or repeat with its descendants).
#[derive(Debug, Clone)]
pub(crate) struct PageDef {
    pub label: LocalText,
    pub start: usize,
    pub end: usize,
    /// The top-level group or repeat the page is (its own heading is the page's label).
    pub root: Option<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub pages: Vec<PageDef>,
    /// Each question's page.
    pub page_of: Vec<usize>,
    /// One past each question's last descendant (itself + 1 for a question without children).
    pub end: Vec<usize>,
    /// Nesting depth inside the page (0: directly on the page).
    pub depth: Vec<u32>,
    /// Each select question's choices: name and label.
    pub choices: Vec<Vec<(String, LocalText)>>,
    /// Questions a person answers (notes, calculations, groups and repeats not counted).
    pub question_count: u32,
}

fn list_names(questions: &[Question], out: &mut HashMap<String, String>) {
    for q in questions {
        if let Some(list) = &q.choices {
            out.insert(q.name.clone(), list.clone());
        }
        list_names(&q.children, out);
    }
}

impl Layout {
    pub fn of(form: &CompiledForm) -> Layout {
        let n = form.nodes.len();
        let mut end: Vec<usize> = (1..=n).collect();
        // Descendants follow their container contiguously: a container ends where its last descendant ends.
        for i in (0..n).rev() {
            if let Some(p) = form.nodes[i].parent {
                end[p] = end[p].max(end[i]);
            }
        }
        let mut pages: Vec<PageDef> = Vec::new();
        let mut page_of = vec![0; n];
        let mut i = 0;
        while i < n {
            let node = &form.nodes[i];
            if node.kind.is_container() {
                pages.push(PageDef { label: node.label.clone(), start: i, end: end[i], root: Some(i) });
                i = end[i];
            } else {
                match pages.last_mut() {
                    Some(p) if p.root.is_none() && p.end == i => p.end = i + 1,
                    _ => pages.push(PageDef { label: form.def.title.clone(), start: i, end: i + 1, root: None }),
                }
                i += 1;
            }
        }
        for (k, p) in pages.iter().enumerate() {
            for slot in &mut page_of[p.start..p.end] {
                *slot = k;
            }
        }
        let mut depth = vec![0u32; n];
        for i in 0..n {
            if let Some(p) = form.nodes[i].parent {
                let page_root = pages[page_of[i]].root == Some(p) && form.nodes[p].kind == Kind::Group;
                depth[i] = if page_root { 0 } else { depth[p] + 1 };
            }
        }
        let mut lists = HashMap::new();
        list_names(&form.def.questions, &mut lists);
        let choices = form
            .nodes
            .iter()
            .map(|node| {
                let labels = lists.get(&node.name).and_then(|l| form.def.choice_lists.get(l));
                node.choices
                    .iter()
                    .map(|name| {
                        let label = labels
                            .and_then(|cs| cs.iter().find(|c| &c.name == name))
                            .map_or_else(|| LocalText::zh(name.clone()), |c| c.label.clone());
                        (name.clone(), label)
                    })
                    .collect()
            })
            .collect();
        let question_count = form.nodes.iter().filter(|n| n.kind.is_answerable()).count() as u32;
        Layout { pages, page_of, end, depth, choices, question_count }
    }
}
