"""Fill annotator_ja.ts from the table below and compile it to .qm.

Run after ``pyside6-lupdate -no-obsolete annotator/ui/*.py -ts
annotator/ui/translations/annotator_ja.ts`` has added new source strings (and dropped the
ones the code no longer has); a string missing here fails
``tests/ui/test_translations.py``.
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TS = Path(__file__).resolve().parents[1] / "annotator" / "ui" / "translations" / "annotator_ja.ts"

JA = {
    'Read-only here: %s': 'ここは読み取り専用です: %s',
    'Cancel export': '書き出しを取り消す',
    'cancelled; nothing was written': '取り消しました。何も書き出されていません',
    ('An export writes into a hidden folder and renames it at '
     'the end: a cancelled or failed one leaves nothing half-written.'):
        ('書き出しは隠しフォルダーに書き込み、最後に名前を変えま'
         'す。取り消しや失敗の場合も書きかけのものは残りません。'),
    'Lead dashboard…': 'リーダー用ダッシュボード…',
    "The dashboard is a lead's": 'ダッシュボードはリーダー用です',
    'Accept this batch': 'このバッチを承認',
    'Reject this batch (with a summary)…': 'このバッチを差し戻す（要約付き）…',
    'Reopen this batch…': 'このバッチを再開…',
    'Reject batch %s': 'バッチ %s を差し戻す',
    'Reopen batch %s': 'バッチ %s を再開',
    'What should the annotator know? (kept in the history)':
        'アノテーターへの伝達事項（履歴に残ります）',
    'A rejection needs a summary for the annotator': '差し戻しにはアノテーター向けの要約が必要です',
    'Accept batch?': 'バッチを承認しますか？',
    'Accept batch %s? Its work then counts as delivered.':
        'バッチ %s を承認しますか？ 作業は納品済みとして扱われます。',
    'Correct mode (reviewers: edit the batch under review)':
        '修正モード（レビュアー: レビュー中のバッチを編集）',
    'Correct mode: your edits to this batch are recorded as yours':
        '修正モード: このバッチへの編集はあなたの編集として記録されます',
    'Review is read-only again': 'レビューは再び読み取り専用です',
    'History of this batch…': 'このバッチの履歴…',
    'History of batch %s': 'バッチ %s の履歴',
    'When': '日時',
    'Who': '誰が',
    'What': '操作',
    'Detail': '詳細',
    'Changes since the last submission': '前回の提出からの変更',
    ('Since the last submission: %d item(s) changed; here %d added (green), '
     '%d changed (blue), %d deleted'):
        '前回の提出から %d アイテムに変更: ここでは追加 %d（緑）、変更 %d（青）、削除 %d',
    'My batch': '自分のバッチ',
    'To review': 'レビュー待ち',
    'Review comments': 'レビューコメント',
    'Mark item done, go to the next not done': 'アイテムを完了にして次の未完了へ',
    'Mark item verified empty, go to the next not done':
        'アイテムを「対象なし確認済み」にして次の未完了へ',
    "Clear the item's mark": 'アイテムの印を消す',
    'Pin a review comment': 'レビューコメントをピン留め',
    'Every item of batch %s is marked: submit it with Ctrl+Return':
        'バッチ %s のすべてのアイテムに印が付きました: Ctrl+Return で提出',
    'done': '完了',
    'verified empty': '対象なし確認済み',
    'Comment count': 'コメント数',
    'Pin a comment': 'コメントをピン留め',
    'Then click a shape or a spot (Ctrl+Shift+M)': '続けて図形か場所をクリック (Ctrl+Shift+M)',
    'Resolve': '解決済みにする',
    'shape #%d': '図形 #%d',
    'a spot': '場所',
    'item %d, %s — %s': 'アイテム %d、%s — %s',
    '%d open, %d resolved': '未解決 %d 件、解決済み %d 件',
    'Comments are pinned by the reviewer of a submitted batch, or by a lead':
        'コメントは提出済みバッチのレビュアーかリーダーがピン留めします',
    'Click the shape or the spot the comment is about (Esc cancels)':
        'コメントの対象の図形か場所をクリック（Esc で取り消し）',
    'Comment': 'コメント',
    'What should be fixed here?': 'ここで何を直すべきですか？',
    "Bird's-eye view": '俯瞰ビュー',
    'Height': '高さ',
    'Intensity': '反射強度',
    'RGB': 'RGB',
    'Class': 'クラス',
    'Colour points by': '点の色分け',
    'Point size': '点のサイズ',
    'Colour': '色',
    'Size': 'サイズ',
    'On a point-cloud tile, draw cuboids (U)': '点群タイルでは直方体を描いてください (U)',
    "Cuboids are drawn in the bird's-eye view of a point-cloud tile":
        '直方体は点群タイルの俯瞰ビューで描きます',
    'Drag round an object, or click two corners and a side':
        '物体を囲むようにドラッグするか、2つの角と1辺をクリックしてください',
    'No points there: draw the cuboid round an object':
        'そこには点がありません: 物体を囲むように直方体を描いてください',
    'No points above the ground there: the cuboid stands on the ground, %.1f m high':
        '地面より上に点がありません: 直方体を地面の上に高さ %.1f m で置きました',
    'Cuboid (point clouds)': '直方体（点群）',
    'Turn counter-clockwise 1°': '反時計回りに 1° 回転',
    'Turn clockwise 1°': '時計回りに 1° 回転',
    'Turn counter-clockwise 10°': '反時計回りに 10° 回転',
    'Turn clockwise 10°': '時計回りに 10° 回転',
    'Reading the point cloud was cancelled': '点群の読み込みを取り消しました',
    'Reading %s … (Esc cancels)': '%s を読み込み中…（Esc で取り消し）',
    'Reading %s: %d %% (Esc cancels)': '%s を読み込み中: %d %%（Esc で取り消し）',
    '%s: %d points': '%s: %d 点',
    'Cuboid from above': '直方体（上から）',
    'Cuboid from the side': '直方体（横から）',
    'Cuboid from the front': '直方体（前から）',
    'Select a cuboid': '直方体を選択してください',
    "Problems": "問題",
    "Problem count": "問題の数",
    "%s (open)": "%s（表示中）",
    "batch": "バッチ",
    "item": "アイテム",
    "In this %s: %d error(s), %d warning(s)": "この%s: エラー %d 件、警告 %d 件",
    "Repair: keep the largest part": "修正: 最大の部分を残す",
    "Repair: split into parts": "修正: 部分ごとに分割",
    "Repair: clip to the image": "修正: 画像の範囲に切り取る",
    "Repair: drop duplicate vertices": "修正: 重複した頂点を削除",
    "Next problem": "次の問題",
    "Previous problem": "前の問題",
    "No problems": "問題はありません",
    "Batch %s has %d error(s); fix them before submitting (F8 goes to the next one)":
        "バッチ %s にエラーが %d 件あります。提出の前に直してください（F8 で次のエラーへ）",
    "Submit with warnings?": "警告があるまま提出しますか？",
    "Batch %s: validation reports %d warning(s). Submit anyway?":
        "バッチ %s: 警告が %d 件あります。このまま提出しますか？",
    "Shapes of this item": "このアイテムの図形",
    "(hidden)": "（非表示）",
    "(locked)": "（ロック）",
    "Select one shape to edit its attributes": "属性を編集する図形を1つ選択してください",
    "%s #%d": "%s #%d",
    "This class has no attributes": "このクラスに属性はありません",
    "Required": "必須",
    "Image canvas": "画像キャンバス",
    "Class %s does not allow %s; pick another class":
        "クラス %s では %s を使えません。別のクラスを選んでください",
    "Nothing drawn yet to repeat": "繰り返す描画がまだありません",
    "Class %s does not allow %s shapes": "クラス %s では %s の図形を使えません",
    "Copied %d shape(s)": "%d 個の図形をコピーしました",
    "The previous item has no shapes to copy": "前のアイテムにコピーする図形がありません",
    "Batch filter": "バッチで絞り込み",
    "Batch state filter": "バッチの状態で絞り込み",
    "All states": "すべての状態",
    "Open": "未着手",
    "In progress": "作業中",
    "Submitted": "提出済み",
    "Accepted": "承認",
    "Rejected": "差し戻し",
    "Items": "アイテム",
    "All items": "すべてのアイテム",
    "Classes": "クラス",
    "Allows: %s": "使える図形: %s",
    "Class %s locked": "クラス %s をロックしました",
    "Class %s unlocked": "クラス %s のロックを解除しました",
    "Annotator — %s (%s)": "Annotator — %s（%s）",
    "Shapes": "図形",
    "Attributes": "属性",
    "Zoom": "ズーム",
    "Cursor position": "カーソル位置",
    "Item position": "アイテムの位置",
    "Batch state": "バッチの状態",
    "&File": "ファイル(&F)",
    "Quit": "終了",
    "&Edit": "編集(&E)",
    "Undo": "元に戻す",
    "Redo": "やり直す",
    "Delete": "削除",
    "Copy": "コピー",
    "Paste": "貼り付け",
    "Duplicate": "複製",
    "Copy shapes from previous item": "前のアイテムから図形をコピー",
    "Select all": "すべて選択",
    "Hide or show selected": "選択した図形の表示／非表示",
    "Show all shapes": "すべての図形を表示",
    "Lock or unlock selected": "選択した図形のロック／解除",
    "Lock or unlock current class": "現在のクラスのロック／解除",
    "Bring to front": "最前面へ",
    "Send to back": "最背面へ",
    "Nudge": "少し移動",
    "Nudge 10 pixels": "10ピクセル移動",
    "&Tools": "ツール(&T)",
    "Tools": "ツール",
    "Select and edit": "選択・編集",
    "Box": "矩形",
    "Rotated box": "回転矩形",
    "Polygon": "多角形",
    "Polyline": "折れ線",
    "Point": "点",
    "Repeat last tool and class": "直前のツールとクラスを繰り返す",
    "Give selection the current class": "選択した図形を現在のクラスに変更",
    "&View": "表示(&V)",
    "Fit to window": "ウィンドウに合わせる",
    "Actual size (1:1)": "実寸（1:1）",
    "Zoom in": "拡大",
    "Zoom out": "縮小",
    "Zoom to selection": "選択範囲にズーム",
    "Interface size": "画面の文字サイズ",
    "Line width…": "線の太さ…",
    "Line width (pixels)": "線の太さ（ピクセル）",
    "Vertex size…": "頂点の大きさ…",
    "Vertex size (pixels)": "頂点の大きさ（ピクセル）",
    "Language": "言語",
    "&Item": "アイテム(&I)",
    "Next item": "次のアイテム",
    "Previous item": "前のアイテム",
    "Next item that needs work": "次の未作業アイテム",
    "&Batch": "バッチ(&B)",
    "Start this batch": "このバッチの作業を開始",
    "Submit this batch for review": "このバッチをレビューに提出",
    "Zoom %d %%": "ズーム %d %%",
    "No more items in this list": "この一覧にはこれ以上アイテムがありません",
    "Every item in this list has shapes": "この一覧のアイテムはすべて図形があります",
    "This item is in no batch": "このアイテムはどのバッチにも入っていません",
    "Batch %s is now %s": "バッチ %s は %s になりました",
    "Item %d / %d": "アイテム %d / %d",
    "Batch %s: %s": "バッチ %s: %s",
    "No batch": "バッチなし",
    "Undo %s": "元に戻す: %s",
    "Redo %s": "やり直す: %s",
    "This image cannot be shown:\n%s\n\nPress D for the next item.":
        "この画像は表示できません:\n%s\n\nD キーで次のアイテムへ進めます。",
    "Too few points: a %s needs %d": "点が足りません: %s には %d 点必要です",
    "Drag to draw a box": "ドラッグして矩形を描いてください",
    "Large image without overviews: shown at 1:1; press F to fit":
        "縮小版のない大きな画像のため 1:1 で表示しています。F キーで全体表示",
    # 3D view (annotator/ui/pointcloud_view.py)
    "3D point cloud view": "3D 点群ビュー",
    "Left drag orbits, middle or Shift+left drag pans, the wheel zooms. W A S D Q E fly, "
    "arrow keys orbit, plus and minus zoom, Home or F fits the tile. Click a cuboid to "
    "select it.":
        "左ドラッグで回転、中ドラッグまたは Shift+左ドラッグで移動、ホイールでズーム。"
        "W A S D Q E で飛行、矢印キーで回転、+ と - でズーム、Home または F でタイル全体を表示。"
        "直方体をクリックすると選択します。",
    "OpenGL is not available": "OpenGL を利用できません",
    "the point cloud cannot be shown: %s": "点群を表示できません: %s",
    "a sample of %s points is shown: the GPU has no room for all":
        "GPU のメモリが足りないため、%s 点を抽出して表示しています",
    "the GPU has no memory left for this point cloud": "この点群を表示する GPU メモリが足りません",
    # Lead dashboard (annotator/ui/dashboard.py)
    "Lead dashboard": "リーダー用ダッシュボード",
    "Progress": "進捗",
    "People": "メンバー",
    "Quality": "品質",
    "Batches": "バッチ",
    "Export": "エクスポート",
    "Refresh": "更新",
    "open": "未着手",
    "in progress": "作業中",
    "submitted": "提出済み",
    "accepted": "承認済み",
    "rejected": "差し戻し",
    "Batch": "バッチ",
    "State": "状態",
    "Assignee": "担当者",
    "Items done": "完了アイテム",
    "Items by batch state (solid: done)": "バッチ状態別のアイテム数（濃い部分: 完了）",
    "Person": "担当者",
    "Active hours": "作業時間 (h)",
    "Items/h": "アイテム/時",
    "Shapes/h": "図形/時",
    "First-pass acceptance": "初回承認率",
    "Shapes per active hour": "作業 1 時間あたりの図形数",
    "Rejection reasons": "差し戻しの理由",
    "Shapes per class": "クラス別の図形数",
    "Create batches from unbatched items": "バッチ未割り当てのアイテムからバッチを作成",
    "By size": "件数ごと",
    "By folder": "フォルダーごと",
    "Random sample": "ランダム抽出",
    "Create": "作成",
    "Name": "名前",
    "Cut": "分け方",
    "Items per batch": "1 バッチのアイテム数",
    "Sample size": "抽出数",
    "Seed": "シード",
    "Reviewer": "レビュアー",
    "Selected batch": "選択中のバッチ",
    "Assign": "割り当て",
    "Why it is reopened": "再開の理由",
    "Reopen": "再開",
    "Annotator": "アノテーター",
    "Accepted batches only": "承認済みバッチのみ",
    "A new or empty folder": "新しいフォルダーか空のフォルダー",
    "Choose…": "選択…",
    "An export cannot be stopped part way; it writes into a hidden folder and leaves "
    "nothing half-written.":
        "エクスポートは途中で止められません。隠しフォルダーに書き出すため、"
        "書きかけのファイルは残りません。",
    "Format": "形式",
    "Output folder": "出力フォルダー",
    "%d batch(es), %d of %d item(s) done": "%d バッチ、%d / %d アイテム完了",
    "Batches by state: %s": "状態別のバッチ数: %s",
    "(no name)": "（名前なし）",
    "No active time recorded yet": "作業時間はまだ記録されていません",
    "(no comment)": "（コメントなし）",
    "No batch has been rejected": "差し戻されたバッチはありません",
    "No classes in the schema": "スキーマにクラスがありません",
    "%d item(s) in no batch": "バッチ未割り当てのアイテム: %d 件",
    "Export into": "エクスポート先",
    "Choose an output folder first": "先に出力フォルダーを選んでください",
    "Exporting %s to %s…": "%s 形式で %s にエクスポート中…",
    "Wrote %d annotation(s) on %d item(s) to %s":
        "%d 件のアノテーション（%d アイテム）を %s に書き出しました",
    "%d skipped (see report.json)": "%d 件を省略（report.json を参照）",
    "%d validation error(s) (see validation.html)":
        "検証エラー %d 件（validation.html を参照）",
    "Export failed: %s": "エクスポートに失敗しました: %s",
    ("On a point-cloud tile, draw cuboids (U), map lines (L), areas (P) and points (T) in the "
     "bird's-eye view"):
        "点群タイルでは俯瞰ビューで直方体 (U)・地図の線 (L)・領域 (P)・点 (T) を描きます",
    "Lanelet (point clouds)": "レーンレット (点群)",
    "Map heights": "地図の高さ",
    "Raise 1 cm": "1 cm 上げる",
    "Lower 1 cm": "1 cm 下げる",
    "Raise 10 cm": "10 cm 上げる",
    "Lower 10 cm": "10 cm 下げる",
    "Keep heights when moving vertices": "頂点を動かしても高さを保つ",
    "Moved vertices keep their heights": "動かした頂点は高さを保ちます",
    "Moved vertices take the ground's height": "動かした頂点は地面の高さになります",
    "Select a map feature, or one of its vertices, to change its height":
        "高さを変えるには地図要素かその頂点を選んでください",
    "Height %.2f m": "高さ %.2f m",
    "Pick two different lines: the left boundary, then the right":
        "異なる 2 本の線を選んでください: 左の境界、次に右の境界",
    "Class %s does not allow lanelets (polygon3d)":
        "クラス %s ではレーンレット (polygon3d) を作れません",
    "Lanelet added; its direction was turned to keep the left line on the left":
        "レーンレットを追加しました。左の線が左になるよう向きを反転しました",
    "Lanelet added": "レーンレットを追加しました",
    "Click a lane boundary (a 3D line): the left one first, then the right":
        "車線の境界 (3D の線) をクリック: まず左、次に右",
    "Repair: join the end to the line it should meet": "修復: 端をつながるべき線に接続",
    "Repair: swap the lanelet's left and right": "修復: レーンレットの左右を入れ替える",
    "Repair: turn the lanelet's direction": "修復: レーンレットの向きを反転",
    "Height profile of the selected map line": "選んだ地図の線の高さ断面",
    "Select a map line to see its height profile": "地図の線を選ぶと高さ断面を表示します",
    "%.2f m": "%.2f m",
    "%.2f m, %.1f m along": "%.2f m、線に沿って %.1f m",
    "Link sign to stop line / lanelet": "標識を停止線・レーンレットに結び付ける",
    "Map features": "地図要素",
    "Select one sign or light (a 3D point), and with Shift its stop line or lanelet":
        "標識か信号 (3D の点) を 1 つ選び、Shift で停止線かレーンレットを選んでください",
    "Select at most one stop line and one lanelet with the sign":
        "標識と一緒に選べるのは停止線とレーンレットを 1 つずつまでです",
    "Sign linked": "標識を結び付けました",
    "Sign unlinked": "標識の結び付けを外しました",
    "Left boundary picked; now click the right one (Esc: start again)":
        "左の境界を選びました。次に右の境界をクリック (Esc: やり直し)",
    # Assists (issue 9)
    'Assist progress': 'アシストの進行状況',
    '&Assists': 'アシスト(&A)',
    'Run assist': 'アシストを実行',
    'Next assist': '次のアシスト',
    'Accept proposals': '提案を採用',
    'Reject proposals / cancel the assist': '提案を却下 / アシストを取り消す',
    'Settings of the current assist…': '現在のアシストの設定…',
    'Snap polygon vertices to image edges': 'ポリゴンの頂点を画像のエッジに吸着',
    'Install the edge_snap plugin to snap vertices to edges':
        '頂点をエッジに吸着させるには edge_snap プラグインをインストールしてください',
    '%s cannot be used: %s': '%s は使えません: %s',
    'images': '画像',
    'point-cloud tiles': '点群タイル',
    '%s (on %s)': '%s（%s 用）',
    'No assists installed (see plugins/README.md)':
        'アシストがインストールされていません（plugins/README.md を参照）',
    'Assist: %s (I runs it)': 'アシスト: %s（I で実行）',
    'No assist for this item is installed':
        'このアイテムに使えるアシストがインストールされていません',
    'An assist is running (Esc cancels)': 'アシストを実行中です（Esc で取り消し）',
    'Enter accepts the proposals, Esc rejects them': 'Enter で提案を採用、Esc で却下します',
    '%s: drag a box round the object, then press I':
        '%s: 対象を囲むように矩形をドラッグしてから I を押してください',
    '%s: click the object (Shift+click: background), then press I':
        '%s: 対象をクリック（Shift+クリック: 背景）してから I を押してください',
    '%s: select shapes, then press I': '%s: 図形を選択してから I を押してください',
    'The tile is still loading; try again when it shows':
        'タイルを読み込み中です。表示されてからもう一度お試しください',
    '%s is running… (Esc cancels)': '%s を実行中…（Esc で取り消し）',
    '%s was cancelled': '%s を取り消しました',
    '%s proposed nothing here': '%s はここに何も提案しませんでした',
    '%d proposal(s) for the next item: Enter accepts, Esc rejects':
        '次のアイテムへの提案 %d 件: Enter で採用、Esc で却下',
    '%d proposal(s): Enter accepts, Esc rejects': '提案 %d 件: Enter で採用、Esc で却下',
    'Assist failed: %s': 'アシストが失敗しました: %s',
    'Accepted %d proposal(s)': '提案 %d 件を採用しました',
    'Proposals rejected': '提案を却下しました',
    'Edge snapping on: polygon and polyline vertices move to strong edges near the click':
        'エッジ吸着オン: ポリゴンとポリラインの頂点がクリック位置近くの強いエッジに移動します',
    'Edge snapping off': 'エッジ吸着オフ',
    'Edge snapping: still reading the image': 'エッジ吸着: 画像を読み込み中です',
    'Settings of %s': '%s の設定',
    'This assist has no settings.': 'このアシストに設定はありません。',
    'Browse…': '参照…',
    'Drag a box round the object, then press I':
        '対象を囲むように矩形をドラッグしてから I を押してください',
    'Press I to run the assist on this box': 'I を押すとこの矩形でアシストを実行します',
    '%d of %d proposal(s) kept: Enter accepts them, Esc rejects all':
        '提案 %d / %d 件を残しています: Enter で採用、Esc ですべて却下',
    # team mode: offline work and conflicts
    'Connection to the server': 'サーバーとの接続',
    'Working offline is not possible on this computer: %s':
        'このコンピューターではオフライン作業ができません: %s',
    'offline — 1 edit waiting': 'オフライン — 送信待ちの編集 1 件',
    'offline — %d edits waiting': 'オフライン — 送信待ちの編集 %d 件',
    '%d edits waiting to be sent': '送信待ちの編集 %d 件',
    ('The server cannot be reached: working offline. Your edits are kept on this '
     'computer and sent when it answers again.'):
        ('サーバーに接続できません。オフラインで作業を続けます。編集はこのコンピュー'
         'ターに保存され、接続が戻ると送信されます。'),
    'Back online: %d edits sent': 'オンラインに戻りました: 編集 %d 件を送信しました',
    "Edits that met someone else's change": '他の人の変更と重なった編集',
    ("Nothing was written over another person's work. Where both versions are "
     "shown, keep theirs or use yours."):
        ('他の人の作業は上書きされていません。両方の版が表示されている場合は、'
         '相手の版を残すか自分の版を使うかを選んでください。'),
    'Keep theirs': '相手の版を残す',
    'Yours': '自分の版',
    'On the server': 'サーバー上の版',
    "Both outlines: yours dashed orange, the server's solid blue":
        '両方の輪郭: 自分の版はオレンジの破線、サーバーの版は青の実線',
    'Use mine': '自分の版を使う',
    'Applied': '適用しました',
    'deleted': '削除済み',
    'Use my version': '自分の版を使う',
    'new': '新規',
    'The next image is still downloading; try again in a moment':
        '次の画像はまだダウンロード中です。少し待ってからもう一度お試しください',
    'Downloading %s…': '%s をダウンロード中…',
}


def main() -> int:
    tree = ET.parse(TS)
    missing = []
    for message in tree.getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        if source in JA:
            translation.text = JA[source]
            translation.attrib.pop("type", None)
        else:
            missing.append(source)
    tree.write(TS, encoding="utf-8", xml_declaration=True)
    if missing:
        print("untranslated:", *missing, sep="\n  ", file=sys.stderr)
        return 1
    subprocess.run(["pyside6-lrelease", str(TS), "-qm", str(TS.with_suffix(".qm"))], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
