//! Undoing a formatter's choices on a copy of the function's syntax tree, so that two
//! formattings of the same code hash the same.
//!
//! Each rule maps the forms rustfmt moves between to one of them, and only forms that mean the
//! same code: a trailing comma goes, but the comma of a one-element tuple `(x,)` stays (syn
//! prints it again), and a single pair of parentheses stays, because `(a + b) * c` is not
//! `a + b * c`.

use proc_macro2::TokenTree;
use quote::ToTokens;
use syn::punctuated::Punctuated;
use syn::visit_mut::{self, VisitMut};
use syn::{
    Abi, AngleBracketedGenericArguments, Arm, Block, BoundLifetimes, Expr, ExprArray, ExprCall,
    ExprClosure, ExprMatch, ExprMethodCall, ExprStruct, ExprTuple, FieldsNamed, FieldsUnnamed,
    Generics, Item, ItemEnum, ItemTrait, ItemTraitAlias, LifetimeParam, MetaList,
    ParenthesizedGenericArguments, PatOr, PatSlice, PatStruct, PatTuple, PatTupleStruct,
    PreciseCapture, PredicateLifetime, PredicateType, ReturnType, Signature, Stmt, TraitItemType,
    TypeBareFn, TypeImplTrait, TypeParam, TypeTraitObject, TypeTuple, UseGroup, UseTree,
    WhereClause,
};

/// Normalizes a function's signature and body in place.
pub(super) fn normalize(sig: &mut Signature, block: &mut Block) {
    Normalize.visit_signature_mut(sig);
    Normalize.visit_block_mut(block);
}

struct Normalize;

/// Drops the trailing punctuation of each list named, after normalizing the node's children.
macro_rules! trailing_punctuation {
    ($($visit:ident($node:ident) => $field:ident;)*) => {
        $(
            fn $visit(&mut self, node: &mut $node) {
                visit_mut::$visit(self, node);
                drop_trailing(&mut node.$field);
            }
        )*
    };
}

impl VisitMut for Normalize {
    trailing_punctuation! {
        visit_signature_mut(Signature) => inputs;
        visit_generics_mut(Generics) => params;
        visit_where_clause_mut(WhereClause) => predicates;
        visit_expr_call_mut(ExprCall) => args;
        visit_expr_method_call_mut(ExprMethodCall) => args;
        visit_expr_tuple_mut(ExprTuple) => elems;
        visit_expr_array_mut(ExprArray) => elems;
        visit_expr_struct_mut(ExprStruct) => fields;
        visit_fields_named_mut(FieldsNamed) => named;
        visit_fields_unnamed_mut(FieldsUnnamed) => unnamed;
        visit_item_enum_mut(ItemEnum) => variants;
        visit_item_trait_mut(ItemTrait) => supertraits;
        visit_item_trait_alias_mut(ItemTraitAlias) => bounds;
        visit_trait_item_type_mut(TraitItemType) => bounds;
        visit_angle_bracketed_generic_arguments_mut(AngleBracketedGenericArguments) => args;
        visit_parenthesized_generic_arguments_mut(ParenthesizedGenericArguments) => inputs;
        visit_bound_lifetimes_mut(BoundLifetimes) => lifetimes;
        visit_precise_capture_mut(PreciseCapture) => params;
        visit_type_param_mut(TypeParam) => bounds;
        visit_lifetime_param_mut(LifetimeParam) => bounds;
        visit_predicate_type_mut(PredicateType) => bounds;
        visit_predicate_lifetime_mut(PredicateLifetime) => bounds;
        visit_type_tuple_mut(TypeTuple) => elems;
        visit_type_bare_fn_mut(TypeBareFn) => inputs;
        visit_type_impl_trait_mut(TypeImplTrait) => bounds;
        visit_type_trait_object_mut(TypeTraitObject) => bounds;
        visit_pat_tuple_mut(PatTuple) => elems;
        visit_pat_tuple_struct_mut(PatTupleStruct) => elems;
        visit_pat_slice_mut(PatSlice) => elems;
        visit_pat_struct_mut(PatStruct) => fields;
    }

    /// rustfmt removes a leading `|` of a pattern.
    fn visit_pat_or_mut(&mut self, node: &mut PatOr) {
        visit_mut::visit_pat_or_mut(self, node);
        node.leading_vert = None;
        drop_trailing(&mut node.cases);
    }

    /// rustfmt adds a comma after the last arm and removes the one after a block; syn prints
    /// exactly the commas an arm needs when none is given.
    fn visit_expr_match_mut(&mut self, node: &mut ExprMatch) {
        visit_mut::visit_expr_match_mut(self, node);
        for arm in &mut node.arms {
            arm.comma = None;
        }
    }

    /// rustfmt wraps an arm's expression in braces when it does not fit beside the pattern, and
    /// takes braces holding one expression off when it does.
    fn visit_arm_mut(&mut self, node: &mut Arm) {
        visit_mut::visit_arm_mut(self, node);
        unwrap_block(&mut node.body);
    }

    /// The same for a closure body, when no return type requires the braces.
    fn visit_expr_closure_mut(&mut self, node: &mut ExprClosure) {
        visit_mut::visit_expr_closure_mut(self, node);
        drop_trailing(&mut node.inputs);
        if node.output == ReturnType::Default {
            unwrap_block(&mut node.body);
        }
    }

    /// rustfmt removes parentheses around parentheses: `((x))` is `(x)`.
    fn visit_expr_mut(&mut self, node: &mut Expr) {
        visit_mut::visit_expr_mut(self, node);
        if let Expr::Paren(outer) = node {
            while let Expr::Paren(inner) = &mut *outer.expr
                && inner.attrs.is_empty()
            {
                let inner = std::mem::replace(&mut *inner.expr, Expr::PLACEHOLDER);
                *outer.expr = inner;
            }
        }
    }

    fn visit_block_mut(&mut self, node: &mut Block) {
        visit_mut::visit_block_mut(self, node);
        // rustfmt removes empty statements (`;;`), and the `;` after a loop statement.
        node.stmts
            .retain(|stmt| !matches!(stmt, Stmt::Expr(Expr::Verbatim(tokens), Some(_)) if tokens.is_empty()));
        for stmt in &mut node.stmts {
            if let Stmt::Expr(Expr::Loop(_) | Expr::While(_) | Expr::ForLoop(_), semi) = stmt {
                *semi = None;
            }
        }
        // rustfmt adds `;` after a `return`, `break` or `continue` that ends a block.
        if let Some(Stmt::Expr(Expr::Return(_) | Expr::Break(_) | Expr::Continue(_), semi)) =
            node.stmts.last_mut()
        {
            *semi = None;
        }
        sort_use_runs(&mut node.stmts);
    }

    /// rustfmt sorts the names in braces and takes the braces off a single name.
    fn visit_use_group_mut(&mut self, node: &mut UseGroup) {
        visit_mut::visit_use_group_mut(self, node);
        let mut items: Vec<UseTree> = std::mem::take(&mut node.items).into_iter().collect();
        items.sort_by_cached_key(|tree| tree.to_token_stream().to_string());
        node.items = items.into_iter().collect();
    }

    fn visit_use_tree_mut(&mut self, node: &mut UseTree) {
        visit_mut::visit_use_tree_mut(self, node);
        if let UseTree::Group(group) = node
            && group.items.len() == 1
            && !imports_self(&group.items[0])
            && let Some(item) = group.items.pop()
        {
            *node = item.into_value();
        }
    }

    /// rustfmt writes `extern "C"` for a bare `extern`.
    fn visit_abi_mut(&mut self, node: &mut Abi) {
        if node.name.is_none() {
            node.name = Some(syn::LitStr::new("C", node.extern_token.span));
        }
    }

    /// rustfmt formats an attribute's list like a call's arguments, trailing comma included.
    fn visit_meta_list_mut(&mut self, node: &mut MetaList) {
        let mut tokens: Vec<TokenTree> = std::mem::take(&mut node.tokens).into_iter().collect();
        if matches!(tokens.last(), Some(TokenTree::Punct(punct)) if punct.as_char() == ',') {
            tokens.pop();
        }
        node.tokens = tokens.into_iter().collect();
    }
}

fn drop_trailing<T, P>(list: &mut Punctuated<T, P>) {
    list.pop_punct();
}

/// Takes the braces off a block that holds one expression and nothing else (no statement,
/// attribute or label), as rustfmt does where braces are optional; nested ones too.
fn unwrap_block(expr: &mut Expr) {
    while let Expr::Block(block) = expr
        && block.attrs.is_empty()
        && block.label.is_none()
        && let [Stmt::Expr(_, None)] = block.block.stmts.as_slice()
        && let Some(Stmt::Expr(inner, None)) = block.block.stmts.pop()
    {
        *expr = inner;
    }
}

/// `self` in braces (`use a::{self}`) imports less than `use a`: those braces stay.
fn imports_self(tree: &UseTree) -> bool {
    match tree {
        UseTree::Name(name) => name.ident == "self",
        UseTree::Rename(rename) => rename.ident == "self",
        UseTree::Path(_) | UseTree::Glob(_) | UseTree::Group(_) => false,
    }
}

/// rustfmt sorts consecutive `use` items; their order means nothing.
fn sort_use_runs(stmts: &mut [Stmt]) {
    let is_use = |stmt: &Stmt| matches!(stmt, Stmt::Item(Item::Use(_)));
    for run in stmts.chunk_by_mut(|a, b| is_use(a) && is_use(b)) {
        run.sort_by_cached_key(|stmt| stmt.to_token_stream().to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::super::hash;

    fn hash_of(source: &str) -> [u8; 32] {
        let function: syn::ItemFn =
            syn::parse_str(source).unwrap_or_else(|error| panic!("{source}: {error}"));
        hash(&function.sig, &function.block)
    }

    #[track_caller]
    fn same(a: &str, b: &str) {
        assert_eq!(hash_of(a), hash_of(b), "should hash the same:\n{a}\n{b}");
    }

    #[track_caller]
    fn different(a: &str, b: &str) {
        assert_ne!(hash_of(a), hash_of(b), "should hash differently:\n{a}\n{b}");
    }

    #[test]
    fn trailing_commas_do_not_count() {
        for (a, b) in [
            ("fn f(a: u8, b: u8) {}", "fn f(a: u8, b: u8,) {}"),
            ("fn f<A, B>() {}", "fn f<A, B,>() {}"),
            (
                "fn f<A>() where A: Copy, A: Send {}",
                "fn f<A>() where A: Copy, A: Send, {}",
            ),
            ("fn f() { g(a, b) }", "fn f() { g(a, b,) }"),
            ("fn f() { x.g(a, b) }", "fn f() { x.g(a, b,) }"),
            ("fn f() { (a, b) }", "fn f() { (a, b,) }"),
            ("fn f() { [a, b] }", "fn f() { [a, b,] }"),
            ("fn f() { S { a, b: 1 } }", "fn f() { S { a, b: 1, } }"),
            ("fn f() { S { a, ..s } }", "fn f() { S { a, ..s } }"),
            (
                "fn f() { struct S { a: u8 } }",
                "fn f() { struct S { a: u8, } }",
            ),
            (
                "fn f() { struct S(u8, u8); }",
                "fn f() { struct S(u8, u8,); }",
            ),
            ("fn f() { enum E { A, B } }", "fn f() { enum E { A, B, } }"),
            ("fn f() -> Result<u8, E> {}", "fn f() -> Result<u8, E,> {}"),
            (
                "fn f(g: impl Fn(u8, u8)) {}",
                "fn f(g: impl Fn(u8, u8,)) {}",
            ),
            ("fn f(g: fn(u8, u8)) {}", "fn f(g: fn(u8, u8,)) {}"),
            ("fn f(a: (u8, u8)) {}", "fn f(a: (u8, u8,)) {}"),
            ("fn f() { let (a, b) = x; }", "fn f() { let (a, b,) = x; }"),
            (
                "fn f() { let S(a, b) = x; }",
                "fn f() { let S(a, b,) = x; }",
            ),
            ("fn f() { let [a, b] = x; }", "fn f() { let [a, b,] = x; }"),
            (
                "fn f() { let S { a, b } = x; }",
                "fn f() { let S { a, b, } = x; }",
            ),
            (
                "fn f() { let g = |a, b| a; }",
                "fn f() { let g = |a, b,| a; }",
            ),
            ("fn f() { use a::{b, c}; }", "fn f() { use a::{b, c,}; }"),
            ("fn f<T: A + B>() {}", "fn f<T: A + B +>() {}"),
            (
                "fn f<'a>() -> impl Sized + use<'a> {}",
                "fn f<'a>() -> impl Sized + use<'a,> {}",
            ),
            (
                "fn f() { #[allow(a, b)] let x = 1; }",
                "fn f() { #[allow(a, b,)] let x = 1; }",
            ),
        ] {
            same(a, b);
        }
    }

    #[test]
    fn a_one_element_tuple_keeps_its_comma() {
        different("fn f() { (x,) }", "fn f() { (x) }");
        different("fn f(a: (u8,)) {}", "fn f(a: (u8)) {}");
        different("fn f() { let (a,) = x; }", "fn f() { let (a) = x; }");
    }

    #[test]
    fn match_arms_hash_the_same_with_or_without_braces_and_commas() {
        same(
            "fn f() { match x { A => 1, B => { 2 } C => { g() }, | D | E => 3, } }",
            "fn f() { match x { A => 1, B => 2, C => g(), D | E => 3 } }",
        );
        same(
            "fn f() { match x { A => { { 1 } } } }",
            "fn f() { match x { A => 1 } }",
        );
        // Braces that hold a statement, a label or an attribute are code.
        different(
            "fn f() { match x { A => { g(); } } }",
            "fn f() { match x { A => g() } }",
        );
        different(
            "fn f() { match x { A => 'a: { 1 } } }",
            "fn f() { match x { A => 1 } }",
        );
        different(
            "fn f() { match x { A => #[cfg(a)] { 1 } } }",
            "fn f() { match x { A => 1 } }",
        );
        different(
            "fn f() { match x { A => 1, B => 2 } }",
            "fn f() { match x { B => 2, A => 1 } }",
        );
    }

    #[test]
    fn closure_bodies_hash_the_same_with_or_without_braces() {
        same(
            "fn f() { let g = |x| { x + 1 }; }",
            "fn f() { let g = |x| x + 1; }",
        );
        same("fn f() { g(move || { h() }) }", "fn f() { g(move || h()) }");
        different(
            "fn f() { let g = |x| { h(x); }; }",
            "fn f() { let g = |x| h(x); }",
        );
        different(
            "fn f() { let g = |x| -> u8 { x }; }",
            "fn f() { let g = |x| -> u8 { { x } }; }",
        );
    }

    #[test]
    fn a_final_return_break_or_continue_hashes_the_same_with_or_without_its_semicolon() {
        same("fn f() { g(); return 1; }", "fn f() { g(); return 1 }");
        same("fn f() { loop { break; } }", "fn f() { loop { break } }");
        same(
            "fn f() { for x in y { continue; } }",
            "fn f() { for x in y { continue } }",
        );
        same(
            "fn f() { if a { return; } g() }",
            "fn f() { if a { return } g() }",
        );
        // Elsewhere the semicolon is code: `g()` is the block's value, `g();` is not.
        different("fn f() { g() }", "fn f() { g(); }");
    }

    #[test]
    fn loop_statements_and_empty_statements_hash_the_same_without_semicolons() {
        same(
            "fn f() { loop { break }; g() }",
            "fn f() { loop { break } g() }",
        );
        same(
            "fn f() { while a { b() }; g() }",
            "fn f() { while a { b() } g() }",
        );
        same(
            "fn f() { for a in b { c() }; g() }",
            "fn f() { for a in b { c() } g() }",
        );
        same(
            "fn f() { let a = 1;; g(); ; }",
            "fn f() { let a = 1; g(); }",
        );
        different(
            "fn f() { if a { b() }; g() }",
            "fn f() { if a { b() } g() }",
        );
    }

    #[test]
    fn nested_parentheses_hash_as_one_pair() {
        same("fn f() { ((a + b)) * c }", "fn f() { (a + b) * c }");
        same("fn f() { (((a))) }", "fn f() { (a) }");
        different("fn f() { (a + b) * c }", "fn f() { a + b * c }");
        different("fn f() { (a) }", "fn f() { a }");
    }

    #[test]
    fn use_items_hash_the_same_in_any_order() {
        same(
            "fn f() { use b::y; use a::{z, x}; use c::{w}; g(); use e::f; use d::g; }",
            "fn f() { use a::{x, z}; use b::y; use c::w; g(); use d::g; use e::f; }",
        );
        same("fn f() { use a::{b::{c}}; }", "fn f() { use a::b::c; }");
        // `use a::{self}` imports less than `use a`, and statements around a `use` keep their
        // order.
        different("fn f() { use a::{self}; }", "fn f() { use a; }");
        different(
            "fn f() { g(); use a::b; h(); }",
            "fn f() { h(); use a::b; g(); }",
        );
    }

    #[test]
    fn a_bare_extern_is_extern_c() {
        same("fn f(g: extern fn()) {}", "fn f(g: extern \"C\" fn()) {}");
        different(
            "fn f(g: extern \"system\" fn()) {}",
            "fn f(g: extern \"C\" fn()) {}",
        );
    }

    #[test]
    fn code_changes_still_change_the_hash() {
        let base = "fn f(a: u8) -> u8 { let b = a + 1; g(b) }";
        for changed in [
            "fn f(c: u8) -> u8 { let b = c + 1; g(b) }",
            "fn f(a: u16) -> u8 { let b = a + 1; g(b) }",
            "fn f(a: u8) -> u8 { let b = a + 2; g(b) }",
            "fn f(a: u8) -> u8 { let b = a - 1; g(b) }",
            "fn f(a: u8) -> u8 { let b = a + 1; h(b) }",
            "fn f(a: u8) -> u8 { let b = a + 1; g(b); }",
            "fn f(a: u8) -> u8 { let b = a + 1; g(b, b) }",
            "async fn f(a: u8) -> u8 { let b = a + 1; g(b) }",
            "fn f(a: u8) -> u8 { let b = a + 1; g(&b) }",
            "fn f(a: u8) -> u8 { let b = (a + 1); g(b) }",
        ] {
            different(base, changed);
        }
    }
}
