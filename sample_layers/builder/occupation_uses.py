"""Layer 5, continued: grassland occupations by use (farming, roads, tourism, construction,
mining, other), illustrative."""

from __future__ import annotations

from typing import TYPE_CHECKING

from builder.common import COUNTIES
from builder.places import XJ_REPORT

if TYPE_CHECKING:
    from builder.occupations import Occupations

GEN = "sample (illustrative geometry and occupant): "


def farming(occ: Occupations) -> None:
    # --- others: farming (开垦), roads, tourism, construction, mining, other ----------
    farm_src = (
        GEN
        + "reclamation of natural pasture (开垦); cf. "
        + XJ_REPORT
        + " 3: “以国土整治项目为名开垦天然牧草地” and 32: “昌吉州向自治区林业和草原局报告全州违法占用草原面积1.1万亩，与实际情况差距很大”"
    )
    for county, town, ha in [
        ("652323", "五工台镇", 420),
        ("652323", "大丰镇", 260),
        ("652324", "北五岔镇", 380),
        ("652324", "六户地镇", 300),
        ("652325", "三个庄子镇", 450),
        ("652325", "西北湾镇", 330),
        ("652328", "西吉尔镇", 280),
        ("652328", "博斯坦乡", 240),
        ("652327", "大有镇", 310),
        ("652301", "佃坝镇", 270),
        ("652302", "九运街镇", 290),
    ]:
        occ.add(
            county,
            town,
            f"{town}开垦天然草地",
            f"{town}某农业合作社（样例）",
            "farming",
            "natural_pasture",
            "none",
            f"{occ.rng.randint(2018, 2021)}-0{occ.rng.randint(3, 9)}-01",
            ha,
            farm_src,
            spread=6000,
            rep_factor=(0.05, 0.25),
        )


def roads(occ: Occupations) -> None:
    road_src = (
        GEN
        + "road built across grassland; cf. "
        + XJ_REPORT
        + " 31: “不少项目未履行草原征占用手续就开工建设”"
    )
    for county, town, ha, appr in [
        ("652325", "半截沟镇", 38, "approved"),
        ("652328", "英格堡乡", 26, "temporary"),
        ("652302", "上户沟哈萨克族乡", 22, "none"),
        ("652327", "泉子街镇", 30, "approved"),
        ("652323", "石梯子哈萨克族乡", 18, "temporary"),
    ]:
        occ.add(
            county,
            town,
            f"{town}道路工程占用草原",
            f"{COUNTIES[county][0]}交通运输局（样例）",
            "road",
            "natural_pasture",
            appr,
            f"{occ.rng.randint(2016, 2021)}-05-01",
            ha,
            road_src,
            spread=5000,
            elong=(6.0, 9.0),
            rep_factor=(0.8, 1.0) if appr == "approved" else (0.2, 0.5),
        )


def tourism(occ: Occupations) -> None:
    tour_src = (
        GEN
        + "tourism project on grassland; cf. "
        + XJ_REPORT
        + " 31: 《关于做好矿产行业建设项目和旅游项目违法占用草原专项排查整治工作的通知》（新自然资发〔2023〕32号）"
    )
    for county, town, ha, appr in [
        ("652302", "三工河哈萨克族乡", 45, "none"),
        ("652325", "半截沟镇", 60, "temporary"),
        ("652328", "照壁山乡", 35, "none"),
        ("652323", "雀尔沟镇", 28, "approved"),
    ]:
        occ.add(
            county,
            town,
            f"{town}旅游项目占用草原",
            f"{town}某旅游开发公司（样例）",
            "tourism",
            "natural_pasture",
            appr,
            f"{occ.rng.randint(2015, 2020)}-06-01",
            ha,
            tour_src,
            spread=6000,
            rep_factor=(0.2, 0.6) if appr != "approved" else (0.9, 1.0),
        )


def construction(occ: Occupations) -> None:
    con_src = GEN + "construction (yards, stockpiles, sheds) on grassland; cf. " + XJ_REPORT + " 31"
    for county, town, ha, appr in [
        ("652301", "硫磺沟镇", 24, "none"),
        ("652324", "包家店镇", 16, "temporary"),
        ("652325", "吉布库镇", 30, "approved"),
        ("652327", "二工镇", 12, "none"),
    ]:
        occ.add(
            county,
            town,
            f"{town}建设项目占用草原",
            f"{town}某建材公司（样例）",
            "construction",
            "artificial_pasture" if county == "652324" else "natural_pasture",
            appr,
            f"{occ.rng.randint(2016, 2021)}-04-01",
            ha,
            con_src,
            spread=5000,
            rep_factor=(0.3, 0.7) if appr != "approved" else (0.95, 1.0),
        )


def mines(occ: Occupations) -> None:
    min_src = (
        GEN
        + "mine waste dump / open pit on grassland; cf. "
        + XJ_REPORT
        + " 31: “金川矿业、新疆白银矿业…违法占用草原”(other prefectures; pattern)"
    )
    for county, town, ha, appr in [
        ("652325", "碧流河镇", 120, "none"),
        ("652328", "大南沟乌孜别克族乡", 95, "none"),
        ("652302", "滋泥泉子镇", 80, "temporary"),
        ("652301", "阿什里哈萨克民族乡", 70, "none"),
    ]:
        occ.add(
            county,
            town,
            f"{town}矿山占用草原",
            f"{town}某矿业公司（样例）",
            "mining",
            "natural_pasture",
            appr,
            f"{occ.rng.randint(2010, 2019)}-08-01",
            ha,
            min_src,
            spread=6000,
            rep_factor=(0.05, 0.2),
        )


def other_uses(occ: Occupations) -> None:
    occ.add(
        "652323",
        "园户村镇",
        "园户村镇养殖小区占用草原",
        "园户村镇某养殖场（样例）",
        "other",
        "artificial_pasture",
        "temporary",
        None,
        14,
        GEN + "other use (livestock yard) on grassland",
        spread=4000,
        rep_factor=None,
    )
    occ.add(
        "652327",
        "新地乡",
        "新地乡光伏场站占用草原",
        "某新能源公司（样例）",
        "other",
        "natural_pasture",
        "approved",
        "2021-03-01",
        55,
        GEN + "other use (solar plant) on grassland, approved",
        spread=6000,
        rep_factor=(1.0, 1.0),
    )
