<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ja" sourcelanguage="en">
<context>
    <name>AnnotationPanel</name>
    <message>
        <location filename="../panels.py" line="118" />
        <source>Shapes of this item</source>
        <translation>このアイテムの図形</translation>
    </message>
    <message>
        <location filename="../panels.py" line="134" />
        <source>(hidden)</source>
        <translation>（非表示）</translation>
    </message>
    <message>
        <location filename="../panels.py" line="135" />
        <source>(locked)</source>
        <translation>（ロック）</translation>
    </message>
</context>
<context>
    <name>AttributeEditor</name>
    <message>
        <location filename="../panels.py" line="166" />
        <location filename="../panels.py" line="179" />
        <source>Select one shape to edit its attributes</source>
        <translation>属性を編集する図形を1つ選択してください</translation>
    </message>
    <message>
        <location filename="../panels.py" line="183" />
        <source>%s #%d</source>
        <translation>%s #%d</translation>
    </message>
    <message>
        <location filename="../panels.py" line="185" />
        <source>This class has no attributes</source>
        <translation>このクラスに属性はありません</translation>
    </message>
    <message>
        <location filename="../panels.py" line="190" />
        <source>Required</source>
        <translation>必須</translation>
    </message>
</context>
<context>
    <name>CanvasView</name>
    <message>
        <location filename="../canvas.py" line="487" />
        <source>Image canvas</source>
        <translation>画像キャンバス</translation>
    </message>
</context>
<context>
    <name>Editor</name>
    <message>
        <location filename="../editor.py" line="110" />
        <source>Large image without overviews: shown at 1:1; press F to fit</source>
        <translation>縮小版のない大きな画像のため 1:1 で表示しています。F キーで全体表示</translation>
    </message>
    <message>
        <location filename="../editor.py" line="167" />
        <source>Class %s does not allow %s; pick another class</source>
        <translation>クラス %s では %s を使えません。別のクラスを選んでください</translation>
    </message>
    <message>
        <location filename="../editor.py" line="174" />
        <source>Nothing drawn yet to repeat</source>
        <translation>繰り返す描画がまだありません</translation>
    </message>
    <message>
        <location filename="../editor.py" line="235" />
        <location filename="../editor.py" line="320" />
        <source>Class %s does not allow %s shapes</source>
        <translation>クラス %s では %s の図形を使えません</translation>
    </message>
    <message>
        <location filename="../editor.py" line="291" />
        <source>Copied %d shape(s)</source>
        <translation>%d 個の図形をコピーしました</translation>
    </message>
    <message>
        <location filename="../editor.py" line="358" />
        <source>The previous item has no shapes to copy</source>
        <translation>前のアイテムにコピーする図形がありません</translation>
    </message>
</context>
<context>
    <name>ItemPanel</name>
    <message>
        <location filename="../panels.py" line="369" />
        <source>Batch filter</source>
        <translation>バッチで絞り込み</translation>
    </message>
    <message>
        <location filename="../panels.py" line="371" />
        <source>Batch state filter</source>
        <translation>バッチの状態で絞り込み</translation>
    </message>
    <message>
        <location filename="../panels.py" line="372" />
        <source>All states</source>
        <translation>すべての状態</translation>
    </message>
    <message>
        <location filename="../panels.py" line="374" />
        <source>Open</source>
        <translation>未着手</translation>
    </message>
    <message>
        <location filename="../panels.py" line="374" />
        <source>In progress</source>
        <translation>作業中</translation>
    </message>
    <message>
        <location filename="../panels.py" line="375" />
        <source>Submitted</source>
        <translation>提出済み</translation>
    </message>
    <message>
        <location filename="../panels.py" line="375" />
        <source>Accepted</source>
        <translation>承認</translation>
    </message>
    <message>
        <location filename="../panels.py" line="376" />
        <source>Rejected</source>
        <translation>差し戻し</translation>
    </message>
    <message>
        <location filename="../panels.py" line="383" />
        <source>Items</source>
        <translation>アイテム</translation>
    </message>
    <message>
        <location filename="../panels.py" line="404" />
        <source>All items</source>
        <translation>すべてのアイテム</translation>
    </message>
</context>
<context>
    <name>LabelPanel</name>
    <message>
        <location filename="../panels.py" line="63" />
        <source>Classes</source>
        <translation>クラス</translation>
    </message>
    <message>
        <location filename="../panels.py" line="70" />
        <source>Allows: %s</source>
        <translation>使える図形: %s</translation>
    </message>
    <message>
        <location filename="../panels.py" line="106" />
        <source>Class %s locked</source>
        <translation>クラス %s をロックしました</translation>
    </message>
    <message>
        <location filename="../panels.py" line="107" />
        <source>Class %s unlocked</source>
        <translation>クラス %s のロックを解除しました</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="32" />
        <source>Select and edit</source>
        <translation>選択・編集</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="33" />
        <source>Box</source>
        <translation>矩形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="34" />
        <source>Rotated box</source>
        <translation>回転矩形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="35" />
        <source>Polygon</source>
        <translation>多角形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="36" />
        <source>Polyline</source>
        <translation>折れ線</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="37" />
        <source>Point</source>
        <translation>点</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="67" />
        <source>Annotator — %s (%s)</source>
        <translation>Annotator — %s（%s）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="88" />
        <source>Classes</source>
        <translation>クラス</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="89" />
        <source>Shapes</source>
        <translation>図形</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="90" />
        <source>Attributes</source>
        <translation>属性</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="91" />
        <source>Items</source>
        <translation>アイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="99" />
        <source>Zoom</source>
        <translation>ズーム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="100" />
        <source>Cursor position</source>
        <translation>カーソル位置</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="101" />
        <source>Item position</source>
        <translation>アイテムの位置</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="102" />
        <source>Batch state</source>
        <translation>バッチの状態</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="122" />
        <source>&amp;File</source>
        <translation>ファイル(&amp;F)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="123" />
        <source>Quit</source>
        <translation>終了</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="125" />
        <source>&amp;Edit</source>
        <translation>編集(&amp;E)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="126" />
        <location filename="../main_window.py" line="322" />
        <source>Undo</source>
        <translation>元に戻す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="128" />
        <location filename="../main_window.py" line="323" />
        <source>Redo</source>
        <translation>やり直す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="131" />
        <source>Delete</source>
        <translation>削除</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="132" />
        <source>Copy</source>
        <translation>コピー</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="133" />
        <source>Paste</source>
        <translation>貼り付け</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="134" />
        <source>Duplicate</source>
        <translation>複製</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="135" />
        <source>Copy shapes from previous item</source>
        <translation>前のアイテムから図形をコピー</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="137" />
        <source>Select all</source>
        <translation>すべて選択</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="140" />
        <source>Hide or show selected</source>
        <translation>選択した図形の表示／非表示</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="142" />
        <source>Show all shapes</source>
        <translation>すべての図形を表示</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="144" />
        <source>Lock or unlock selected</source>
        <translation>選択した図形のロック／解除</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="146" />
        <source>Lock or unlock current class</source>
        <translation>現在のクラスのロック／解除</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="148" />
        <source>Bring to front</source>
        <translation>最前面へ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="150" />
        <source>Send to back</source>
        <translation>最背面へ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="154" />
        <source>Nudge</source>
        <translation>少し移動</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="156" />
        <source>Nudge 10 pixels</source>
        <translation>10ピクセル移動</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="159" />
        <source>&amp;Tools</source>
        <translation>ツール(&amp;T)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="162" />
        <source>Tools</source>
        <translation>ツール</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="173" />
        <source>Repeat last tool and class</source>
        <translation>直前のツールとクラスを繰り返す</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="175" />
        <source>Give selection the current class</source>
        <translation>選択した図形を現在のクラスに変更</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="181" />
        <source>&amp;View</source>
        <translation>表示(&amp;V)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="182" />
        <source>Fit to window</source>
        <translation>ウィンドウに合わせる</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="183" />
        <source>Actual size (1:1)</source>
        <translation>実寸（1:1）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="185" />
        <source>Zoom in</source>
        <translation>拡大</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="187" />
        <source>Zoom out</source>
        <translation>縮小</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="189" />
        <source>Zoom to selection</source>
        <translation>選択範囲にズーム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="192" />
        <source>Interface size</source>
        <translation>画面の文字サイズ</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="196" />
        <source>Line width…</source>
        <translation>線の太さ…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="197" />
        <source>Line width (pixels)</source>
        <translation>線の太さ（ピクセル）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="199" />
        <source>Vertex size…</source>
        <translation>頂点の大きさ…</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="200" />
        <source>Vertex size (pixels)</source>
        <translation>頂点の大きさ（ピクセル）</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="202" />
        <source>Language</source>
        <translation>言語</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="208" />
        <source>&amp;Item</source>
        <translation>アイテム(&amp;I)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="209" />
        <source>Next item</source>
        <translation>次のアイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="211" />
        <source>Previous item</source>
        <translation>前のアイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="213" />
        <source>Next item that needs work</source>
        <translation>次の未作業アイテム</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="215" />
        <source>&amp;Batch</source>
        <translation>バッチ(&amp;B)</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="216" />
        <source>Start this batch</source>
        <translation>このバッチの作業を開始</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="218" />
        <source>Submit this batch for review</source>
        <translation>このバッチをレビューに提出</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="231" />
        <source>Zoom %d %%</source>
        <translation>ズーム %d %%</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="262" />
        <source>No more items in this list</source>
        <translation>この一覧にはこれ以上アイテムがありません</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="271" />
        <source>Every item in this list has shapes</source>
        <translation>この一覧のアイテムはすべて図形があります</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="301" />
        <source>This item is in no batch</source>
        <translation>このアイテムはどのバッチにも入っていません</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="305" />
        <source>Batch %s is now %s</source>
        <translation>バッチ %s は %s になりました</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="315" />
        <source>Item %d / %d</source>
        <translation>アイテム %d / %d</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="317" />
        <source>Batch %s: %s</source>
        <translation>バッチ %s: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="318" />
        <source>No batch</source>
        <translation>バッチなし</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="322" />
        <source>Undo %s</source>
        <translation>元に戻す: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="323" />
        <source>Redo %s</source>
        <translation>やり直す: %s</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="335" />
        <source>This image cannot be shown:
%s

Press D for the next item.</source>
        <translation>この画像は表示できません:
%s

D キーで次のアイテムへ進めます。</translation>
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