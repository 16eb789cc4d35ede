<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ja" sourcelanguage="en">
<context>
    <name>AnnotationPanel</name>
    <message>
        <location filename="../panels.py" line="119" />
        <source>Shapes of this item</source>
        <translation>このアイテムの図形</translation>
    </message>
    <message>
        <location filename="../panels.py" line="135" />
        <source>(hidden)</source>
        <translation>（非表示）</translation>
    </message>
    <message>
        <location filename="../panels.py" line="136" />
        <source>(locked)</source>
        <translation>（ロック）</translation>
    </message>
</context>
<context>
    <name>AttributeEditor</name>
    <message>
        <location filename="../panels.py" line="173" />
        <location filename="../panels.py" line="199" />
        <source>Select one shape to edit its attributes</source>
        <translation>属性を編集する図形を1つ選択してください</translation>
    </message>
    <message>
        <location filename="../panels.py" line="211" />
        <source>%s #%d</source>
        <translation>%s #%d</translation>
    </message>
    <message>
        <location filename="../panels.py" line="213" />
        <source>This class has no attributes</source>
        <translation>このクラスに属性はありません</translation>
    </message>
    <message>
        <location filename="../panels.py" line="217" />
        <source>Required</source>
        <translation>必須</translation>
    </message>
</context>
<context>
    <name>CanvasView</name>
    <message>
        <location filename="../canvas.py" line="495" />
        <source>Image canvas</source>
        <translation>画像キャンバス</translation>
    </message>
</context>
<context>
    <name>Editor</name>
    <message>
        <location filename="../editor.py" line="116" />
        <source>Large image without overviews: shown at 1:1; press F to fit</source>
        <translation>縮小版のない大きな画像のため 1:1 で表示しています。F キーで全体表示</translation>
    </message>
    <message>
        <location filename="../editor.py" line="171" />
        <source>Class %s does not allow %s; pick another class</source>
        <translation>クラス %s では %s を使えません。別のクラスを選んでください</translation>
    </message>
    <message>
        <location filename="../editor.py" line="178" />
        <source>Nothing drawn yet to repeat</source>
        <translation>繰り返す描画がまだありません</translation>
    </message>
    <message>
        <location filename="../editor.py" line="243" />
        <location filename="../editor.py" line="328" />
        <source>Class %s does not allow %s shapes</source>
        <translation>クラス %s では %s の図形を使えません</translation>
    </message>
    <message>
        <location filename="../editor.py" line="299" />
        <source>Copied %d shape(s)</source>
        <translation>%d 個の図形をコピーしました</translation>
    </message>
    <message>
        <location filename="../editor.py" line="366" />
        <source>The previous item has no shapes to copy</source>
        <translation>前のアイテムにコピーする図形がありません</translation>
    </message>
</context>
<context>
    <name>ItemPanel</name>
    <message>
        <location filename="../panels.py" line="437" />
        <source>Batch filter</source>
        <translation>バッチで絞り込み</translation>
    </message>
    <message>
        <location filename="../panels.py" line="439" />
        <source>Batch state filter</source>
        <translation>バッチの状態で絞り込み</translation>
    </message>
    <message>
        <location filename="../panels.py" line="440" />
        <source>All states</source>
        <translation>すべての状態</translation>
    </message>
    <message>
        <location filename="../panels.py" line="442" />
        <source>Open</source>
        <translation>未着手</translation>
    </message>
    <message>
        <location filename="../panels.py" line="442" />
        <source>In progress</source>
        <translation>作業中</translation>
    </message>
    <message>
        <location filename="../panels.py" line="443" />
        <source>Submitted</source>
        <translation>提出済み</translation>
    </message>
    <message>
        <location filename="../panels.py" line="443" />
        <source>Accepted</source>
        <translation>承認</translation>
    </message>
    <message>
        <location filename="../panels.py" line="444" />
        <source>Rejected</source>
        <translation>差し戻し</translation>
    </message>
    <message>
        <location filename="../panels.py" line="451" />
        <source>Items</source>
        <translation>アイテム</translation>
    </message>
    <message>
        <location filename="../panels.py" line="472" />
        <source>All items</source>
        <translation>すべてのアイテム</translation>
    </message>
</context>
<context>
    <name>LabelPanel</name>
    <message>
        <location filename="../panels.py" line="64" />
        <source>Classes</source>
        <translation>クラス</translation>
    </message>
    <message>
        <location filename="../panels.py" line="71" />
        <source>Allows: %s</source>
        <translation>使える図形: %s</translation>
    </message>
    <message>
        <location filename="../panels.py" line="107" />
        <source>Class %s locked</source>
        <translation>クラス %s をロックしました</translation>
    </message>
    <message>
        <location filename="../panels.py" line="108" />
        <source>Class %s unlocked</source>
        <translation>クラス %s のロックを解除しました</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="54" />
        <source>Select and edit</source>
        <translation>選択・編集</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="55" />
        <source>Box</source>
        <translation>矩形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="56" />
        <source>Rotated box</source>
        <translation>回転矩形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="57" />
        <source>Polygon</source>
        <translation>多角形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="58" />
        <source>Polyline</source>
        <translation>折れ線</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="59" />
        <source>Point</source>
        <translation>点</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="89" />
        <source>Annotator — %s (%s)</source>
        <translation>Annotator — %s（%s）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="110" />
        <source>Classes</source>
        <translation>クラス</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="111" />
        <source>Shapes</source>
        <translation>図形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="112" />
        <source>Attributes</source>
        <translation>属性</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="113" />
        <source>Items</source>
        <translation>アイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="115" />
        <source>Problems</source>
        <translation>問題</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="124" />
        <source>Zoom</source>
        <translation>ズーム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="125" />
        <source>Cursor position</source>
        <translation>カーソル位置</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="126" />
        <source>Item position</source>
        <translation>アイテムの位置</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="127" />
        <source>Batch state</source>
        <translation>バッチの状態</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="147" />
        <source>&amp;File</source>
        <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="148" />
        <source>Quit</source>
        <translation>終了</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="150" />
        <source>&amp;Edit</source>
        <translation>編集(&amp;E)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="151" />
        <location filename="../main_window.py" line="423" />
        <source>Undo</source>
        <translation>元に戻す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="153" />
        <location filename="../main_window.py" line="424" />
        <source>Redo</source>
        <translation>やり直す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="156" />
        <source>Delete</source>
        <translation>削除</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="157" />
        <source>Copy</source>
        <translation>コピー</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="158" />
        <source>Paste</source>
        <translation>貼り付け</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="159" />
        <source>Duplicate</source>
        <translation>複製</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="160" />
        <source>Copy shapes from previous item</source>
        <translation>前のアイテムから図形をコピー</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="162" />
        <source>Select all</source>
        <translation>すべて選択</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="165" />
        <source>Hide or show selected</source>
        <translation>選択した図形の表示／非表示</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="167" />
        <source>Show all shapes</source>
        <translation>すべての図形を表示</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="169" />
        <source>Lock or unlock selected</source>
        <translation>選択した図形のロック／解除</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="171" />
        <source>Lock or unlock current class</source>
        <translation>現在のクラスのロック／解除</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="173" />
        <source>Bring to front</source>
        <translation>最前面へ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="175" />
        <source>Send to back</source>
        <translation>最背面へ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="179" />
        <source>Nudge</source>
        <translation>少し移動</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="181" />
        <source>Nudge 10 pixels</source>
        <translation>10ピクセル移動</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="184" />
        <source>&amp;Tools</source>
        <translation>ツール(&amp;T)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="187" />
        <source>Tools</source>
        <translation>ツール</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="198" />
        <source>Repeat last tool and class</source>
        <translation>直前のツールとクラスを繰り返す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="200" />
        <source>Give selection the current class</source>
        <translation>選択した図形を現在のクラスに変更</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="206" />
        <source>&amp;View</source>
        <translation>表示(&amp;V)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="207" />
        <source>Fit to window</source>
        <translation>ウィンドウに合わせる</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="208" />
        <source>Actual size (1:1)</source>
        <translation>実寸（1:1）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="210" />
        <source>Zoom in</source>
        <translation>拡大</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="212" />
        <source>Zoom out</source>
        <translation>縮小</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="214" />
        <source>Zoom to selection</source>
        <translation>選択範囲にズーム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="217" />
        <source>Interface size</source>
        <translation>画面の文字サイズ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="221" />
        <source>Line width…</source>
        <translation>線の太さ…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="222" />
        <source>Line width (pixels)</source>
        <translation>線の太さ（ピクセル）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="224" />
        <source>Vertex size…</source>
        <translation>頂点の大きさ…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="225" />
        <source>Vertex size (pixels)</source>
        <translation>頂点の大きさ（ピクセル）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="227" />
        <source>Language</source>
        <translation>言語</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="233" />
        <source>&amp;Item</source>
        <translation>アイテム(&amp;I)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="234" />
        <source>Next item</source>
        <translation>次のアイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="236" />
        <source>Previous item</source>
        <translation>前のアイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="238" />
        <source>Next item that needs work</source>
        <translation>次の未作業アイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="240" />
        <source>&amp;Batch</source>
        <translation>バッチ(&amp;B)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="241" />
        <source>Start this batch</source>
        <translation>このバッチの作業を開始</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="243" />
        <source>Submit this batch for review</source>
        <translation>このバッチをレビューに提出</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="246" />
        <source>Next problem</source>
        <translation>次の問題</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="248" />
        <source>Previous problem</source>
        <translation>前の問題</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="280" />
        <source>Zoom %d %%</source>
        <translation>ズーム %d %%</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="312" />
        <source>No more items in this list</source>
        <translation>この一覧にはこれ以上アイテムがありません</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="321" />
        <source>Every item in this list has shapes</source>
        <translation>この一覧のアイテムはすべて図形があります</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="359" />
        <source>No problems</source>
        <translation>問題はありません</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="376" />
        <source>This item is in no batch</source>
        <translation>このアイテムはどのバッチにも入っていません</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="391" />
        <source>Batch %s has %d error(s); fix them before submitting (F8 goes to the next one)</source>
        <translation>バッチ %s にエラーが %d 件あります。提出の前に直してください（F8 で次のエラーへ）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="396" />
        <source>Submit with warnings?</source>
        <translation>警告があるまま提出しますか？</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="397" />
        <source>Batch %s: validation reports %d warning(s). Submit anyway?</source>
        <translation>バッチ %s: 警告が %d 件あります。このまま提出しますか？</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="406" />
        <source>Batch %s is now %s</source>
        <translation>バッチ %s は %s になりました</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="416" />
        <source>Item %d / %d</source>
        <translation>アイテム %d / %d</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="418" />
        <source>Batch %s: %s</source>
        <translation>バッチ %s: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="419" />
        <source>No batch</source>
        <translation>バッチなし</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="423" />
        <source>Undo %s</source>
        <translation>元に戻す: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="424" />
        <source>Redo %s</source>
        <translation>やり直す: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="436" />
        <source>This image cannot be shown:
%s

Press D for the next item.</source>
        <translation>この画像は表示できません:
%s

D キーで次のアイテムへ進めます。</translation>
    </message>
</context>
<context>
    <name>PointCloudView</name>
    <message>
        <location filename="../pointcloud_view.py" line="134" />
        <source>3D point cloud view</source>
        <translation>3D 点群ビュー</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="136" />
        <source>Left drag orbits, middle or Shift+left drag pans, the wheel zooms. W A S D Q E fly, arrow keys orbit, plus and minus zoom, Home or F fits the tile. Click a cuboid to select it.</source>
        <translation>左ドラッグで回転、中ドラッグまたは Shift+左ドラッグで移動、ホイールでズーム。W A S D Q E で飛行、矢印キーで回転、+ と - でズーム、Home または F でタイル全体を表示。直方体をクリックすると選択します。</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="394" />
        <source>OpenGL is not available</source>
        <translation>OpenGL を利用できません</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="443" />
        <source>the point cloud cannot be shown: %s</source>
        <translation>点群を表示できません: %s</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="458" />
        <source>a sample of %s points is shown: the GPU has no room for all</source>
        <translation>GPU のメモリが足りないため、%s 点を抽出して表示しています</translation>
    </message>
    <message>
        <location filename="../pointcloud_view.py" line="463" />
        <source>the GPU has no memory left for this point cloud</source>
        <translation>この点群を表示する GPU メモリが足りません</translation>
    </message>
</context>
<context>
    <name>ProblemPanel</name>
    <message>
        <location filename="../problems.py" line="96" />
        <source>Problem count</source>
        <extracomment>(item id, annotation id or 0) the user asked to see</extracomment>
        <translation>問題の数</translation>
    </message>
    <message>
        <location filename="../problems.py" line="99" />
        <source>Problems</source>
        <translation>問題</translation>
    </message>
    <message>
        <location filename="../problems.py" line="172" />
        <source>%s (open)</source>
        <translation>%s（表示中）</translation>
    </message>
    <message>
        <location filename="../problems.py" line="183" />
        <source>batch</source>
        <translation>バッチ</translation>
    </message>
    <message>
        <location filename="../problems.py" line="183" />
        <source>item</source>
        <translation>アイテム</translation>
    </message>
    <message>
        <location filename="../problems.py" line="184" />
        <source>In this %s: %d error(s), %d warning(s)</source>
        <translation>この%s: エラー %d 件、警告 %d 件</translation>
    </message>
    <message>
        <location filename="../problems.py" line="218" />
        <source>Repair: keep the largest part</source>
        <translation>修正: 最大の部分を残す</translation>
    </message>
    <message>
        <location filename="../problems.py" line="219" />
        <source>Repair: split into parts</source>
        <translation>修正: 部分ごとに分割</translation>
    </message>
    <message>
        <location filename="../problems.py" line="220" />
        <source>Repair: clip to the image</source>
        <translation>修正: 画像の範囲に切り取る</translation>
    </message>
    <message>
        <location filename="../problems.py" line="221" />
        <source>Repair: drop duplicate vertices</source>
        <translation>修正: 重複した頂点を削除</translation>
    </message>
</context>
<context>
    <name>self.editor</name>
    <message>
        <location filename="../tools.py" line="130" />
        <source>Too few points: a %s needs %d</source>
        <translation>点が足りません: %s には %d 点必要です</translation>
    </message>
    <message>
        <location filename="../tools.py" line="219" />
        <source>Drag to draw a box</source>
        <translation>ドラッグして矩形を描いてください</translation>
    </message>
</context>
</TS>